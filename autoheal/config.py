"""Settings: environment variables over a JSON config file over defaults.

The file lives under the user's config dir (platformdirs) and can never hold a
token: the token comes from GITHUB_TOKEN / GH_TOKEN / `gh auth token` at send time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .scrub import is_secret_name


class ConfigError(Exception):
    """Invalid settings; the message is one line meant for the user."""


@dataclass(frozen=True)
class Config:
    enabled: bool = True
    repo: str | None = None
    api_url: str = "https://api.github.com"
    max_log_lines: int = 100
    labels: tuple[str, ...] = ("auto-heal",)
    dry_run: bool = False
    timeout: float = 3.0
    max_issues_per_hour: int = 10
    max_comments: int = 3
    env_allowlist: tuple[str, ...] = ()
    quiet: bool = False  # no `autoheal: ...` line on stderr after a crash
    unraisable: bool = False  # also report what sys.unraisablehook sees (__del__, GC); atexit errors always are
    delivery: str = "auto"  # background | sync | auto (sync inside GitHub Actions, else background)
    state_dir: Path = field(default_factory=lambda: default_state_dir())
    config_file: Path = field(default_factory=lambda: default_config_file())

    @property
    def spool_dir(self) -> Path:
        return self.state_dir / "spool"


def _bool(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true/false, got {text!r}")


def _int_in(low: int, high: int) -> Callable[[Any], int]:
    def parse(text: Any) -> int:
        if isinstance(text, bool) or not str(text).strip().lstrip("-").isdigit():
            raise ValueError(f"expected a whole number, got {text!r}")
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"expected {low}..{high}, got {value}")
        return value

    return parse


def _seconds(text: Any) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"expected seconds, got {text!r}") from None
    if not 0 < value <= 120:
        raise ValueError(f"expected 0 < seconds <= 120, got {value}")
    return value


def _repo(text: Any) -> str | None:
    value = str(text).strip()
    if not value:
        return None
    owner, _, name = value.partition("/")
    if not owner or not name or "/" in name or " " in value:
        raise ValueError(f"expected OWNER/NAME, got {text!r}")
    return value


def _names(text: Any) -> tuple[str, ...]:
    items = text if isinstance(text, list) else str(text).split(",")
    return tuple(str(i).strip() for i in items if str(i).strip())


def _delivery(text: Any) -> str:
    value = str(text).strip().lower()
    if value not in DELIVERY_MODES:
        raise ValueError(f"expected one of {', '.join(DELIVERY_MODES)}, got {text!r}")
    return value


DELIVERY_MODES = ("auto", "background", "sync")


def _url(text: Any) -> str:
    value = str(text).strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"expected an http(s) URL, got {text!r}")
    return value


# name in the file -> (environment variable, parser)
SETTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "enabled": ("AUTOHEAL_ENABLED", _bool),
    "repo": ("AUTOHEAL_REPO", _repo),
    "api_url": ("GITHUB_API_URL", _url),
    "max_log_lines": ("AUTOHEAL_MAX_LOG_LINES", _int_in(0, 1000)),
    "labels": ("AUTOHEAL_LABELS", _names),
    "dry_run": ("AUTOHEAL_DRY_RUN", _bool),
    "timeout": ("AUTOHEAL_TIMEOUT", _seconds),
    "max_issues_per_hour": ("AUTOHEAL_MAX_ISSUES_PER_HOUR", _int_in(0, 10_000)),
    "max_comments": ("AUTOHEAL_MAX_COMMENTS", _int_in(0, 100)),
    "env_allowlist": ("AUTOHEAL_ENV_ALLOWLIST", _names),
    "quiet": ("AUTOHEAL_QUIET", _bool),
    "unraisable": ("AUTOHEAL_UNRAISABLE", _bool),
    "delivery": ("AUTOHEAL_DELIVERY", _delivery),
}


def default_config_file() -> Path:
    import platformdirs  # only needed when no override is set

    return Path(platformdirs.user_config_dir("autoheal", appauthor=False)) / "config.json"


def default_state_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("autoheal", appauthor=False))


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Resolve the settings; raises ConfigError with a one-line reason."""
    environ = os.environ if environ is None else environ
    config_file = Path(environ["AUTOHEAL_CONFIG"]) if environ.get("AUTOHEAL_CONFIG") else default_config_file()
    state_dir = Path(environ["AUTOHEAL_STATE_DIR"]) if environ.get("AUTOHEAL_STATE_DIR") else default_state_dir()
    values: dict[str, Any] = {}
    for name, raw in read_file(config_file).items():
        values[name] = _parse(name, raw, f"{config_file}: key {name!r}")
    if "repo" not in values and environ.get("GITHUB_REPOSITORY"):
        values["repo"] = _parse("repo", environ["GITHUB_REPOSITORY"], "GITHUB_REPOSITORY")
    for name, (variable, _) in SETTINGS.items():
        if environ.get(variable, "").strip():
            values[name] = _parse(name, environ[variable], variable)
    return Config(**values, state_dir=state_dir, config_file=config_file)


def read_file(path: Path) -> dict[str, Any]:
    """The raw settings of the config file ({} if absent); rejects unknown keys and secrets."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path} is not valid JSON ({e.msg} at line {e.lineno})") from None
    except RecursionError:
        raise ConfigError(f"{path} is nested too deeply to be a config file") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    for name in data:
        check_key(name)
    return data


def check_key(name: str) -> None:
    if is_secret_name(name):
        raise ConfigError(
            f"refusing to store {name!r} in the config file; pass tokens through GITHUB_TOKEN or GH_TOKEN"
        )
    if name not in SETTINGS:
        raise ConfigError(f"unknown config key {name!r} (known: {', '.join(SETTINGS)})")


def parse_value(name: str, raw: Any) -> Any:
    """A file value checked the way load() will check it, in its JSON form."""
    check_key(name)
    value = _parse(name, raw, f"key {name!r}")
    return list(value) if isinstance(value, tuple) else value


def describe(config: Config) -> dict[str, Any]:
    """JSON-friendly view of the effective settings."""
    data = {f.name: getattr(config, f.name) for f in fields(config)}
    return {k: (list(v) if isinstance(v, tuple) else str(v) if isinstance(v, Path) else v) for k, v in data.items()}


def _parse(name: str, raw: Any, where: str) -> Any:
    try:
        return SETTINGS[name][1](raw)
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


def sources(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Where each effective setting of `load(environ)` comes from (for `autoheal status`), by the same rules:
    the environment variable, else the config file, else (for `repo`) GITHUB_REPOSITORY, else the default."""
    environ = os.environ if environ is None else environ
    config_file = Path(environ["AUTOHEAL_CONFIG"]) if environ.get("AUTOHEAL_CONFIG") else default_config_file()
    in_file = read_file(config_file)
    found: dict[str, str] = {}
    for name, (variable, _) in SETTINGS.items():
        if environ.get(variable, "").strip():
            found[name] = f"env {variable}"
        elif name in in_file:
            found[name] = f"file {config_file}"
        elif name == "repo" and environ.get("GITHUB_REPOSITORY"):
            found[name] = "env GITHUB_REPOSITORY"
        else:
            found[name] = "default"
    found["state_dir"] = "env AUTOHEAL_STATE_DIR" if environ.get("AUTOHEAL_STATE_DIR") else "default"
    found["config_file"] = "env AUTOHEAL_CONFIG" if environ.get("AUTOHEAL_CONFIG") else "default"
    return found
