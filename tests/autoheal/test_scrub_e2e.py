"""The scrub corpus: >= 100 planted secrets in every field, and every byte that leaves is grepped."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

from ahtest import REPO, RecordingProxy, autoheal_cli, autoheal_issues, run_script, spooled

ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def make_secret(kind: int) -> tuple[str, str]:
    """(text to plant, the random core that must never leave)."""
    core = rand(24)
    forms = [
        (f"ghp_{core}{rand(12)}", core),
        (f"gho_{core}{rand(12)}", core),
        (f"ghu_{core}{rand(12)}", core),
        (f"ghs_{core}{rand(12)}", core),
        (f"ghr_{core}{rand(12)}", core),
        (f"github_pat_{core}_{rand(40)}", core),
        (f"AKIA{rand(16, string.ascii_uppercase + string.digits)}", None),
        (f"xoxb-1234-5678-{core}", core),
        (f"xoxp-99-{core}", core),
        (f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ{core}.{rand(20)}", core),
        (f"-----BEGIN RSA PRIVATE KEY-----\nMIIE{core}\n{rand(64)}\n-----END RSA PRIVATE KEY-----", core),
        (f"Authorization: Bearer {core}", core),
        (f"postgres://admin:{core}@db.internal:5432/app", core),
        (f"https://alice:{core}@example.com/path", core),
        (f"password={core}", core),
        (f'{{"api_key": "{core}"}}', core),
        (f"client_secret: {core}", core),
        (f"--password {core}", core),
        (f"--token={core}", core),
        (f"aws_secret_access_key={rand(40)}", None),
        (f"Cookie: session={core}; theme=dark", core),
    ]
    text, must_hide = forms[kind % len(forms)]
    return text, must_hide or text.split("=")[-1].split(":")[-1].strip()


def test_no_planted_secret_leaves_the_process(hooked_venv, hub, env, home, tmp_path):
    planted: list[str] = []

    def plant(kind: int) -> str:
        text, core = make_secret(kind)
        planted.append(core)
        return text

    user = "zorkuser"
    secret_env = {f"APP_{i}_TOKEN": f"opaque-{rand(20)}" for i in range(10)}
    planted += [v.removeprefix("opaque-") for v in secret_env.values()]
    env_secret_kinds = {f"SERVICE_{i}_PASSWORD": plant(i) for i in range(10)}
    argv = [plant(i) for i in range(3, 40)]
    log_lines = [plant(i) for i in range(20)]
    message = " | ".join(plant(i) for i in range(21))
    cwd_secret = f"ghp_{rand(36)}"
    planted.append(cwd_secret)
    cwd = home / user / cwd_secret
    cwd.mkdir(parents=True)
    literal_in_source = plant(0)
    branch = f"refs/heads/{plant(1)}"
    assert len(planted) >= 100

    code = f"""
        import logging, sys
        logging.basicConfig(level=logging.INFO)
        for line in {log_lines!r}:
            logging.getLogger("svc").info("calling service with %s", line)
        token = {literal_in_source!r}; raise RuntimeError({message!r} + " in " + sys.argv[0])
    """
    crash_env = {
        **env,
        **secret_env,
        **env_secret_kinds,
        "HOME": str(home / user),
        "USER": user,
        "LOGNAME": user,
        "GITHUB_REF": branch,
        "AUTOHEAL_ENV_ALLOWLIST": ",".join(secret_env),
    }
    proxy = RecordingProxy(hub.port)
    crash_env["GITHUB_API_URL"] = f"http://127.0.0.1:{proxy.port}/api/v3"
    try:
        hub.set_outage(503)
        run_script(hooked_venv, code, crash_env, cwd=cwd, args=tuple(argv))
        spool_bytes = b"".join(p.read_bytes() for p in spooled(crash_env))
        assert spool_bytes
        hub.set_outage(None)
        assert "created" in autoheal_cli(crash_env, "flush").stdout
        run_script(hooked_venv, code, crash_env, cwd=cwd, args=tuple(argv))  # a repeat: a comment this time
    finally:
        proxy.close()

    [issue] = autoheal_issues(hub)
    assert issue.title.startswith("RuntimeError") and issue.comments
    sent = _without_auth_header(bytes(proxy.sent))
    stored = json.dumps(
        [[i.title, i.body, [c.body for c in i.comments]] for i in hub.state.get_repo(REPO).issues.values()]
    )
    state = b"".join(p.read_bytes() for p in Path(env["AUTOHEAL_STATE_DIR"]).rglob("*") if p.is_file())
    leaks = {}
    for where, data in [("request bytes", sent), ("issues", stored.encode()), ("spool", spool_bytes), ("state", state)]:
        found = [s for s in [*planted, user] if s.encode() in data]
        if found:
            leaks[where] = found
    assert leaks == {}, _context(leaks, spool_bytes)
    assert b"[REDACTED]" in sent


def _without_auth_header(data: bytes) -> bytes:
    """The hub's own token is meant to be sent, in this header only."""
    return b"\r\n".join(line for line in data.split(b"\r\n") if not line.lower().startswith(b"authorization:"))


def _context(leaks: dict[str, list[str]], data: bytes) -> list[str]:
    """Where each leaked secret sits in the spool file, to see which form slipped through."""
    text = data.decode("utf-8", "replace")
    return [text[max(0, text.find(s) - 60) : text.find(s) + 40] for found in leaks.values() for s in found if s in text]
