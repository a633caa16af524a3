"""Remove secrets and personal paths from anything a report carries.

One class, applied to every field before a report is written to disk or sent. Redaction errs on the side
of removing too much: a mangled log line is cheap, a leaked token is not. Every pattern it runs is linear
in its input (`autoheal.secret_rules`), and every string is capped first (`MAX_TEXT`), so the time a crash
spends here is bounded whatever the program put in its message.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from . import secret_rules as rules
from .caps import cap_text

REDACTED = "[REDACTED]"
MAX_TEXT = 65_536
"""No string is scrubbed past this many characters (the report's own caps per field are smaller)."""
MAX_ITEMS = 1000
MAX_DEPTH = 8

# Substrings that make a name secret, in any case and anywhere in the name.
SECRET_NAME_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
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
    "jwt",
)
# Short words that are secret only as a whole part of a name (`DB_PASS`, `pw`, `sas_sig`), not inside one.
SECRET_NAME_WORDS = frozenset({"pass", "pw", "sig", "pat", "otp", "sas", "creds", "cred", "apikey", "salt"})
# Names of variables that hold a path even though they look secret (`pwd` is in PWD and OLDPWD).
PATH_NAMES = frozenset({"PWD", "OLDPWD"})

_SECRET_NAME = re.compile(r"(?i)" + "|".join(SECRET_NAME_PARTS))
_NAME_WORDS = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_EXCEPTION_NAME = re.compile(r"(?:Error|Exception|Warning|Exit|Interrupt)$")
# An argv item whose value is the next item: `--token X`, `-p X`, `password: X`.
_NAME_ITEM = re.compile(r"(?i)^(?:--?([A-Za-z][A-Za-z0-9_.-]{0,80})|([A-Za-z_][A-Za-z0-9_.-]{0,80})[:=])$")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ENDS_VALUE = re.compile(r"[\s,;:)\]}&\\]|$")


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
        self._home_pattern = re.compile(re.escape(self._home) + r"(?![^/\\\s'\":;,)\]}])") if self._home else None
        # "root" names an account, not a person, and appears in ordinary words.
        self._user = re.compile(r"\b" + re.escape(user) + r"\b") if user and len(user) >= 3 and user != "root" else None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, extra_secrets: Iterable[str] = ()) -> Scrubber:
        """Build a scrubber that also removes the values of this process's secret-named variables."""
        environ = os.environ if environ is None else environ
        known = [v for k, v in environ.items() if is_secret_name(k) and k not in PATH_NAMES]
        home = environ.get("HOME") or os.path.expanduser("~")
        return cls(known_secrets=[*known, *extra_secrets], home=home, user=_user_name())

    def scrub(self, value: Any, depth: int = MAX_DEPTH) -> Any:
        """Scrub strings, and the strings inside dicts, lists and tuples, recursively (bounded)."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, Mapping):
            if depth <= 0:
                return REDACTED
            return {
                self.scrub_text(str(k)): self._scrub_item(str(k), v, depth - 1)
                for k, v in list(value.items())[:MAX_ITEMS]
            }
        if isinstance(value, (list, tuple)):
            return self._scrub_sequence(value[:MAX_ITEMS], depth - 1) if depth > 0 else [REDACTED]
        return value

    def scrub_text(self, text: str) -> str:
        text = cap_text(text, MAX_TEXT)
        if _PERCENT.search(text):  # `%3A%2F%2Fuser%3Apass%40` hides a secret's shape from every rule
            # A query value goes whole while still encoded: decoded, its `%20` would end it early.
            text = unquote(rules.QUERY_SECRET.sub(_keep_first, text))
        for literal in self._literals:
            text = text.replace(literal, REDACTED)
        lowered = text.lower()  # for the cheap "could this rule match at all" checks below

        def maybe(*needles: str) -> bool:
            return any(n in lowered for n in needles)

        if maybe("private key"):
            text = _redact_private_keys(text)
        if maybe("://"):
            text = rules.URL_USERINFO.sub(lambda m: f"{m.group(1)}{_keep_user(m.group(2))}:{REDACTED}@", text)
            text = rules.URL_TOKEN_USER.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
        for rule in rules.TOKENS:
            text = rule.sub(REDACTED, text)
        for pattern, needles in (
            (rules.QUERY_SECRET, ("=",)),
            (rules.COOKIE_HEADER, ("cookie",)),
            (rules.NETRC, ("machine",)),
            (rules.CURL_USER, ("-u", "--user", "--proxy-user")),
            (rules.SSHPASS, ("sshpass",)),
            (rules.ATTACHED_P, ("-p",)),
        ):
            if maybe(*needles):
                text = pattern.sub(_keep_first, text)
        if maybe("bearer", "basic", "digest", "token", "negotiate", "ntlm"):
            text = rules.AUTH_SCHEME.sub(_keep_scheme, text)
        if maybe("-"):
            text = _redact_named_values(text, rules.FLAG_NAME)
        if maybe("=", ":"):
            text = _redact_named_values(text, rules.ASSIGNMENT_NAME)
        text = rules.AWS_SECRET_SHAPE.sub(_redact_if_mixed, text)
        text = rules.BASE64_BLOB.sub(_redact_if_mixed, text)
        text = rules.LONG_RUN.sub(_redact_if_random, text)
        text = rules.BASE64_CREDENTIALS.sub(_redact_if_credentials, text)
        if self._home_pattern:
            text = self._home_pattern.sub("~", text)
        if self._user:
            text = self._user.sub("<user>", text)
        return text

    def _scrub_item(self, name: str, value: Any, depth: int) -> Any:
        """A mapping's value: redacted whole under a secret name, unless it is a path under PWD/OLDPWD."""
        if name in PATH_NAMES and isinstance(value, str) and value.startswith(("/", "~")):
            return self.scrub_text(value)
        return REDACTED if is_secret_name(name) else self.scrub(value, depth)

    def _scrub_sequence(self, items: list[Any] | tuple[Any, ...], depth: int) -> list[Any]:
        """Like scrub, with the context items give each other: `--token X`, `-p X`, a key logged line by line.

        The strings are also scrubbed joined by spaces, as a command line reads; an item that does not
        survive that intact (`sshpass -p X`, `Authorization: Bearer X`) is redacted whole.
        """
        strings = [item for item in items if isinstance(item, str)]
        joined = self.scrub_text(" ".join(strings)) if len(strings) > 1 else ""
        out = self._scrub_items(items, depth)
        if not joined:
            return out
        return [
            REDACTED if isinstance(item, str) and item and item not in joined and not _redacted(clean) else clean
            for item, clean in zip(items, out, strict=True)
        ]

    def _scrub_items(self, items: list[Any] | tuple[Any, ...], depth: int) -> list[Any]:
        out: list[Any] = []
        redact_next = in_key = False
        for item in items:
            text = item if isinstance(item, str) else None
            if in_key and text is not None:
                in_key = not rules.PRIVATE_KEY_END.search(text)
                out.append(REDACTED)
                continue
            if redact_next and text is not None:
                out.append(REDACTED)
                redact_next = False
                continue
            if text is not None:
                named = _NAME_ITEM.match(text)
                redact_next = text == "-p" or bool(named and is_secret_name(named.group(1) or named.group(2)))
                begin = rules.PRIVATE_KEY_BEGIN.search(text)
                in_key = bool(begin) and not rules.PRIVATE_KEY_END.search(text, begin.end() if begin else 0)
            out.append(self.scrub(item, depth))
        return out


def is_secret_name(name: str) -> bool:
    """True for names such as GITHUB_TOKEN, db_password, SessionCookie or DB_PASS."""
    name = name[:200]
    if _SECRET_NAME.search(name):
        return True
    return any(word.lower() in SECRET_NAME_WORDS for word in _NAME_WORDS.findall(name))


def _user_name() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry and no LOGNAME/USER in a container
        return None


def _redacted(value: str) -> bool:
    return value.strip("'\"\\[]") in ("REDACTED", "")


def _keep_first(match: re.Match[str]) -> str:
    """Keep the lead-in group (name, header, flag), drop the value, unless it is already redacted."""
    return match.group(0) if _redacted(match.group(2)) else match.group(1) + REDACTED


def _keep_scheme(match: re.Match[str]) -> str:
    """`Bearer X` -> `Bearer [REDACTED]`."""
    return match.group(0) if _redacted(match.group(3)) else match.group(1) + match.group(2) + REDACTED


def _keep_user(user: str) -> str:
    """A user name in a URL stays (it says which account) unless it looks like a token itself."""
    return user if len(user) < 20 else REDACTED


def _redact_private_keys(text: str) -> str:
    """From each BEGIN ... PRIVATE KEY marker to its END marker, or to the end of the text when cut or logged."""
    out, pos = [], 0
    while begin := rules.PRIVATE_KEY_BEGIN.search(text, pos):
        end = rules.PRIVATE_KEY_END.search(text, begin.end())
        out += [text[pos : begin.start()], REDACTED]
        pos = end.end() if end else len(text)
    return "".join(out) + text[pos:] if out else text


def _redact_named_values(text: str, names: re.Pattern[str]) -> str:
    """`name<sep>value` where the name looks secret: keep name and separator, replace the value whole.

    The name and the value are matched separately (a name that is not secret costs no value scan), in one
    left-to-right pass that never looks at text it has already replaced.
    """
    out, pos = [], 0
    for match in names.finditer(text):
        if match.start() < pos:
            continue
        name = match.group(1).lstrip("-")
        if not is_secret_name(name) or _EXCEPTION_NAME.search(name):
            continue
        value = rules.VALUE.match(text, match.end())
        if value is None or _redacted(value.group(0)):
            continue
        if name in PATH_NAMES and value.group(0).lstrip("'\"").startswith(("/", "~")):
            continue
        end = _closing_quote(text, value.start(), value.end())
        out += [text[pos : match.end()], _same_quotes(text[value.start() : end])]
        pos = end
    return "".join(out) + text[pos:] if out else text


def _closing_quote(text: str, start: int, end: int) -> int:
    """Where a quoted value really ends: a quote followed by more of the word (`"pa\\"ss x"`, an escape
    seen through one more level of quoting) did not close it, so the value runs on to a quote that does."""
    quote = text[end - 1] if end > start and text[end - 1] in "\"'" else ""
    limit = min(len(text), start + 2000)
    while quote and end < limit and not _ENDS_VALUE.match(text, end):
        found = text.find(quote, end, limit)
        if found < 0:
            break
        end = found + 1
    return end


def _same_quotes(value: str) -> str:
    """REDACTED inside the value's own quotes, so a JSON string stays a JSON string."""
    for quote in ('\\"', '"', "'"):
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            return f"{quote}{REDACTED}{quote}"
    return REDACTED


def _redact_if_mixed(match: re.Match[str]) -> str:
    """Base64 of random bytes mixes upper case, lower case and digits; words and paths rarely do."""
    run = match.group(0)
    return REDACTED if _classes(run) >= 3 else run


def _redact_if_random(match: re.Match[str]) -> str:
    """Long runs that look random: mixed case and digits, long hex, or 32+ letters and digits without a break."""
    run = match.group(0)
    if _classes(run) >= 3:
        return REDACTED
    stretches = re.split(r"[+=_-]", run)
    longest = max(stretches, key=len)
    if len(longest) < 32 or longest.isdigit():
        return run
    is_hex = all(c in "0123456789abcdefABCDEF" for c in longest)
    if is_hex and len(longest) == 40 and longest == run:  # a git commit id: useful, and not a credential
        return run
    return REDACTED


def _redact_if_credentials(match: re.Match[str]) -> str:
    """Base64 of `user:password` (a Basic credential without its header)."""
    run = match.group(0)
    if len(run) % 4:
        return run
    try:
        decoded = base64.b64decode(run, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return run
    user, colon, password = decoded.partition(":")
    printable = decoded.isprintable() and not any(c.isspace() for c in decoded)
    return REDACTED if colon and user and password and printable else run


def _classes(run: str) -> int:
    return sum((any(c.isupper() for c in run), any(c.islower() for c in run), any(c.isdigit() for c in run)))
