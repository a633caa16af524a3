"""The client-error endpoint: browsers and Node processes post here; reports are filed through the core."""

from __future__ import annotations

from functools import partial
from typing import Any

from autoheal.config import Config
from autoheal.config import load as load_config
from autoheal.endpoint.app import ClientErrorApp
from autoheal.endpoint.server import serve
from autoheal.endpoint.settings import Settings
from autoheal.handoff import Handoff

__all__ = ["ClientErrorApp", "Settings", "make_app", "serve"]


def make_app(config: Config | None = None, settings: Settings | None = None) -> ClientErrorApp:
    """A WSGI app to mount anywhere; filing runs on one background worker behind a bounded queue.

    At exit, reports still queued get up to AUTOHEAL_TIMEOUT to be filed, as a crashing CLI does.
    Settings are read now, so a bad value fails at start-up (ConfigError), not at the first report.
    """
    config = config or load_config()
    settings = settings or Settings.from_env()
    worker: Handoff[dict[str, Any]] = Handoff(
        partial(_file, config=config), maxsize=settings.queue_size, drain_on_exit=config.timeout
    )
    return ClientErrorApp(settings, worker.offer)


def _file(payload: dict[str, Any], config: Config) -> None:
    """The one call into the core: a validated JS report becomes a Report, then scrub -> fingerprint -> deliver."""
    from autoheal import jsreport, pipeline

    pipeline.submit(jsreport.to_report(payload), config)
