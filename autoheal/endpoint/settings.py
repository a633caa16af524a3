"""Endpoint settings from the environment; everything the request path needs to decide without I/O."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from autoheal.config import ConfigError

REPORT_PATH = "/api/auto-heal/report-client-error"
HEALTH_PATH = "/healthz"


@dataclass(frozen=True)
class Settings:
    """`ingest_key` is public by design: it lets a page post reports and nothing else."""

    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    ingest_key: str = ""
    max_body: int = 64 * 1024
    per_minute: int = 30
    max_clients: int = 10_000
    queue_size: int = 100
    trust_forwarded: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        origins = (o.strip().rstrip("/") for o in env.get("AUTOHEAL_ALLOWED_ORIGINS", "").split(","))
        return cls(
            allowed_origins=frozenset(o for o in origins if o),
            ingest_key=env.get("AUTOHEAL_INGEST_KEY", ""),
            max_body=_positive(env, "AUTOHEAL_ENDPOINT_MAX_BYTES", cls.max_body),
            per_minute=_positive(env, "AUTOHEAL_ENDPOINT_PER_MINUTE", cls.per_minute),
            trust_forwarded=env.get("AUTOHEAL_TRUST_FORWARDED", "") in {"1", "true", "yes"},
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)
