"""The few settings a crashing program needs before it hands its report over, read without autoheal.config.

Importing autoheal.config (dataclasses, typing, pathlib, the scrubber's patterns) costs a program that
imported little of the standard library tens of milliseconds at the moment it is exiting. The forked reporter
loads the full settings itself; the program only needs to know whether to hand over at all, and what to tell
the user. This reads the same environment variables and config file as config.load() for those four settings
(a test checks it against config.load() on many cases) and answers None whenever it is not sure, e.g. a
value it does not know: then the caller loads the full settings.
"""

from __future__ import annotations

import os

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")
# setting -> its environment variable, as in config.SETTINGS
VARIABLES = {
    "enabled": "AUTOHEAL_ENABLED",
    "dry_run": "AUTOHEAL_DRY_RUN",
    "quiet": "AUTOHEAL_QUIET",
    "delivery": "AUTOHEAL_DELIVERY",
}
DEFAULTS: dict[str, object] = {"enabled": True, "dry_run": False, "quiet": False, "delivery": "auto"}


def settings() -> dict[str, object] | None:
    """enabled, dry_run, quiet and delivery as config.load() would resolve them, or None if unsure."""
    in_file = _file()
    if in_file is None:
        return None
    environ = os.environ
    from_env = {name: environ[var] for name, var in VARIABLES.items() if environ.get(var, "").strip()}
    values = dict(DEFAULTS)
    for raw in (in_file, from_env):  # as config.load(): each value is checked, the environment wins
        for name, value in raw.items():
            parsed = _parse(name, value)
            if parsed is None:
                return None
            values[name] = parsed
    return values


def _file() -> dict[str, object] | None:
    """The four settings from the config file ({} when there is none); None when it cannot be read plainly."""
    path = os.environ.get("AUTOHEAL_CONFIG") or _default_config_file()
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    except OSError:
        return None
    if not text.strip():
        return {}
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {name: data[name] for name in VARIABLES if name in data}


def _default_config_file() -> str | None:
    """platformdirs.user_config_dir on Linux, the only system where the early path is taken."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
    return os.path.join(base, "autoheal", "config.json") if base.startswith("/") else None


def _parse(name: str, value: object) -> object | None:
    if name == "delivery":
        text = str(value).strip().lower()
        return text if text in ("auto", "background", "sync") else None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in TRUE else False if text in FALSE else None
