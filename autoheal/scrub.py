"""Remove secrets and personal paths from anything a report carries.

One class, applied to every field before a report is written to disk or sent.
Redaction errs on the side of removing too much: a mangled log line is
cheap, a leaked token is not.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"

SECRET_NAME_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "key",
    "auth",
    "credential",
    "cookie",
    "session",
    "private",
    "dsn",
    "signature",
    "bearer",
)
_NAME = r"[A-Za-z0-9_.-]*(?:" + "|".join(SECRET_NAME_PARTS) + r")[A-Za-z0-9_.-]*"

_PEM = re.compile(
    r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@:'\"]+:[^/\s@'\"]*@")
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}"
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}"
    r"|xox[abposr]-[A-Za-z0-9-]{8,}"
    r"|xapp-[A-Za-z0-9-]{8,}"
    r"|eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
    r"|sk-[A-Za-z0-9_-]{20,}"
    r"|glpat-[A-Za-z0-9_-]{16,})"
)
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic|digest|token)(\s+)[A-Za-z0-9._~+/=-]{8,}")
_COOKIE_HEADER = re.compile(r"(?i)\b((?:set-)?cookie\s*:\s*)[^\r\n]+")
_FLAG = re.compile(r"(?i)(--?" + _NAME + r")(=|\s+)(?:(['\"]).*?\3|[^\s'\"]+)")
_ASSIGNMENT = re.compile(r"(?i)\b(" + _NAME + r")(['\"]?[ \t]*[:=][ \t]*)(?:(['\"])(.*?)\3|([^\s'\",;&}\]]+))")
_HIGH_ENTROPY = re.compile(r"(?<![A-Za-z0-9+=_-])[A-Za-z0-9+=_-]{32,}(?![A-Za-z0-9+=_-])")
_SECRET_NAME = re.compile(r"(?i)" + "|".join(SECRET_NAME_PARTS))
_EXCEPTION_NAME = re.compile(r"(?:Error|Exception|Warning)$")
_SECRET_FLAG = re.compile(r"(?i)^--?" + _NAME + "$")


class Scrubber:
    """Redacts secret-looking names and values, the home directory and the user name."""

    def __init__(
        self,
        known_secrets: Iterable[str] = (),
        home: str | None = None,
        user: str | None = None,
    ) -> None:
        # Longest first so a secret that contains another is removed whole.
        self._literals = sorted({s for s in known_secrets if len(s) >= 6}, key=len, reverse=True)
        self._home = home.rstrip("/\\") if home and len(home.rstrip("/\\")) > 1 else None
        # "root" names an account, not a person, and appears in ordinary words.
        self._user = re.compile(r"\b" + re.escape(user) + r"\b") if user and len(user) >= 3 and user != "root" else None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, extra_secrets: Iterable[str] = ()) -> Scrubber:
        """Build a scrubber that also removes the values of this process's secret-named variables."""
        environ = os.environ if environ is None else environ
        known = [v for k, v in environ.items() if is_secret_name(k)]
        return cls(known_secrets=[*known, *extra_secrets], home=os.path.expanduser("~"), user=_user_name())

    def scrub(self, value: Any) -> Any:
        """Scrub strings, and the strings inside dicts, lists and tuples, recursively."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, Mapping):
            return {
                self.scrub_text(str(k)): REDACTED if is_secret_name(str(k)) else self.scrub(v) for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return self._scrub_sequence(value)
        return value

    def scrub_text(self, text: str) -> str:
        for literal in self._literals:
            text = text.replace(literal, REDACTED)
        text = _PEM.sub(REDACTED, text)
        text = _URL_USERINFO.sub(r"\1" + REDACTED + "@", text)
        text = _TOKEN_SHAPES.sub(REDACTED, text)
        text = _AUTH_SCHEME.sub(r"\1\2" + REDACTED, text)
        text = _COOKIE_HEADER.sub(r"\1" + REDACTED, text)
        text = _FLAG.sub(_redact_value, text)
        text = _ASSIGNMENT.sub(_redact_value, text)
        text = _HIGH_ENTROPY.sub(_redact_if_random, text)
        if self._home:
            text = re.sub(re.escape(self._home) + r"(?=[/\\]|\b|$)", "~", text)
        if self._user:
            text = self._user.sub("<user>", text)
        return text

    def _scrub_sequence(self, items: list | tuple) -> list:
        """Like scrub, but a secret-named flag (`--token X`) also redacts the item after it."""
        out: list = []
        redact_next = False
        for item in items:
            if redact_next and isinstance(item, str):
                out.append(REDACTED)
                redact_next = False
                continue
            redact_next = isinstance(item, str) and bool(_SECRET_FLAG.match(item))
            out.append(self.scrub(item))
        return out


def is_secret_name(name: str) -> bool:
    """True for names such as GITHUB_TOKEN, db_password or SessionCookie."""
    return bool(_SECRET_NAME.search(name))


def _user_name() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry and no LOGNAME/USER in a container
        return None


def _redact_value(match: re.Match[str]) -> str:
    """Keep the name and separator of `name=value` / `--name value`, drop the value."""
    if _EXCEPTION_NAME.search(match.group(1)):  # "KeyError: 'x'" is a message, not an assignment
        return match.group(0)
    quote = match.group(3) or ""
    return f"{match.group(1)}{match.group(2)}{quote}{REDACTED}{quote}"


def _redact_if_random(match: re.Match[str]) -> str:
    """Long runs mixing upper case, lower case and digits are keys, not words or hex digests."""
    run = match.group(0)
    mixed = any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run)
    return REDACTED if mixed else run
