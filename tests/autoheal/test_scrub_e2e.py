"""The scrub corpus end to end: every format planted in every field of real crashes, every byte that leaves grepped.

A real venv with the hook crashes with the corpus in its environment (innocent and secret names), argv,
message, chained message, log lines (keys line by line), cwd and script path; the report is spooled while
GitHub is down, flushed, and filed again as a repeat. Every byte sent (through a recording proxy), stored
by the hub, spooled or left in the state directory is searched for every planted core.
"""

from __future__ import annotations

import json
from pathlib import Path

from ahtest import REPO, RecordingProxy, autoheal_cli, autoheal_issues, run_script, spooled
from scrub.corpus import FORMATS, Sample, rand

BATCH = 20  # formats per crash, so every field stays under its cap and no sample is cut away unseen


def _batches() -> list[list[tuple[str, Sample]]]:
    samples = [(f.name, f.sample()) for f in FORMATS]
    return [samples[i : i + BATCH] for i in range(0, len(samples), BATCH)]


def test_no_planted_secret_leaves_the_process(hooked_venv, hub, env, home, tmp_path):
    user = "zorkuser"
    planted: list[str] = [user]
    sent_parts: list[bytes] = []
    spool_parts: list[bytes] = []
    proxy = RecordingProxy(hub.port)
    try:
        for number, batch in enumerate(_batches()):
            texts = [sample.text for _, sample in batch]
            planted += [sample.core for _, sample in batch]
            path_safe = next(s.text for _, s in batch if "/" not in s.text and "\n" not in s.text and len(s.text) < 200)
            cwd = home / user / "work" / path_safe
            cwd.mkdir(parents=True)
            secret_env = {f"APP_{i}_TOKEN": f"opaque-{rand(20)}" for i in range(3)}
            planted += [v.removeprefix("opaque-") for v in secret_env.values()]
            innocent = {f"SERVICE_{i}": text for i, text in enumerate(texts)}
            code = f"""
                import logging, sys
                logging.basicConfig(level=logging.INFO)
                for text in {texts!r}:
                    for line in text.splitlines():
                        logging.getLogger("svc").info("calling service with %s", line)
                def load():
                    raise ValueError("bad config: " + " | ".join({texts[::2]!r}))
                try:
                    load()
                except ValueError as e:
                    odd = " | ".join({texts[1::2]!r})
                    raise RuntimeError("batch {number} failed: " + odd + " in " + sys.argv[0]) from e
            """
            crash_env = {
                **env,
                **secret_env,
                **innocent,
                "HOME": str(home / user),
                "USER": user,
                "LOGNAME": user,
                "PWD": str(cwd),
                "OLDPWD": str(home / user),
                "GITHUB_REF": f"refs/heads/{texts[0].splitlines()[0][:100]}",
                "AUTOHEAL_ENV_ALLOWLIST": ",".join([*innocent, *secret_env, "PWD", "OLDPWD"]),
                "GITHUB_API_URL": f"http://127.0.0.1:{proxy.port}/api/v3",
                "AUTOHEAL_MAX_ISSUES_PER_HOUR": "100",
            }
            hub.set_outage(503)
            run_script(hooked_venv, code, crash_env, cwd=cwd, args=tuple(texts))
            spool_parts += [p.read_bytes() for p in spooled(crash_env)]
            hub.set_outage(None)
            assert "created" in autoheal_cli(crash_env, "flush").stdout
            run_script(hooked_venv, code, crash_env, cwd=cwd, args=tuple(texts))  # a repeat: a comment this time
    finally:
        proxy.close()

    issues = autoheal_issues(hub)
    assert len(issues) == len(_batches()) and all(issue.comments for issue in issues)
    assert all('"PWD": "~/work/' in issue.body and '"OLDPWD": "~"' in issue.body for issue in issues)
    sent_parts.append(_without_auth_header(bytes(proxy.sent)))
    stored = json.dumps(
        [[i.title, i.body, [c.body for c in i.comments]] for i in hub.state.get_repo(REPO).issues.values()]
    )
    state = b"".join(p.read_bytes() for p in Path(env["AUTOHEAL_STATE_DIR"]).rglob("*") if p.is_file())
    spool_bytes = b"".join(spool_parts)
    assert spool_bytes and b"[REDACTED]" in sent_parts[0]
    leaks = {}
    for where, data in [
        ("request bytes", b"".join(sent_parts)),
        ("issues", stored.encode()),
        ("spool", spool_bytes),
        ("state", state),
    ]:
        found = [s for s in planted if s.encode() in data]
        if found:
            leaks[where] = found
    assert leaks == {}, _context(leaks, spool_bytes + stored.encode())


def test_no_planted_secret_leaves_the_js_endpoint(tmp_path):
    """Every JS field of a report posted to `autoheal serve`: what is sent, stored and spooled is clean."""
    import urllib.request
    from urllib.parse import quote

    from endpoint.hubenv import autoheal_hub, endpoint, issues, wait_until

    samples = [(f.name, f.sample()) for f in FORMATS]
    with autoheal_hub(tmp_path) as (hub, env):
        proxy = RecordingProxy(hub.port)
        env = {
            **env,
            "GITHUB_API_URL": f"http://127.0.0.1:{proxy.port}/api/v3",
            "AUTOHEAL_MAX_ISSUES_PER_HOUR": "1000",
            "AUTOHEAL_ENDPOINT_PER_MINUTE": "10000",
        }
        try:
            with endpoint(env) as served:
                for number, (_, sample) in enumerate(samples):
                    text = sample.text
                    payload = {
                        "v": 1,
                        "kind": "error",
                        "runtime": "browser",
                        "name": f"E{number} {text}"[:200],
                        "message": f"fetch failed {text}",
                        "stack": f"Error: {text}\n    at load (https://app.example/app.js?t={quote(text)}:1:2)",
                        "url": f"https://app.example/p?token={quote(text)}#{quote(text)}",
                        "userAgent": f"Mozilla/5.0 {text}"[:500],
                        "platform": text[:100],
                        "tool": f"search {text}"[:200],
                        "params": {"q": text[:200], "apiKey": text[:200]},
                        "context": {"note": text[:200]},
                    }
                    request = urllib.request.Request(
                        served.url + "/api/auto-heal/report-client-error",
                        data=json.dumps(payload).encode(),
                        headers={"Content-Type": "application/json"},
                    )
                    with urllib.request.urlopen(request, timeout=10) as reply:
                        assert reply.status == 202
                    assert wait_until(lambda n=number: len(issues(hub)) > n, 30), f"report {number} not filed"
        finally:
            proxy.close()
        stored = json.dumps([[i.title, i.body, [c.body for c in i.comments]] for i in issues(hub)]).encode()
        state = b"".join(p.read_bytes() for p in Path(env["AUTOHEAL_STATE_DIR"]).rglob("*") if p.is_file())
    sent = _without_auth_header(bytes(proxy.sent))
    cores = [c for _, s in samples for c in {s.core, s.core[:100]}]
    leaks = {
        where: [c for c in cores if c.encode() in data]
        for where, data in [("sent", sent), ("stored", stored), ("state", state)]
    }
    assert leaks == {"sent": [], "stored": [], "state": []}, _context(leaks, stored)


def test_no_planted_secret_leaves_an_mcp_tool(tmp_path, monkeypatch):
    """Tool arguments (top level and nested), through a real MCP client session, the real pipeline and the hub."""
    import anyio
    from endpoint.hubenv import autoheal_hub, issues
    from mcp import Client
    from mcp.server.mcpserver import MCPServer

    from autoheal import mcp as autoheal_mcp

    samples = [(f.name, f.sample()) for f in FORMATS]
    with autoheal_hub(tmp_path) as (hub, env):
        for name, value in {**env, "AUTOHEAL_MAX_ISSUES_PER_HOUR": "1000"}.items():
            monkeypatch.setenv(name, value)
        server = MCPServer("inventory")

        @server.tool()
        def lookup(kind: str, query: str, options: dict, api_key: str) -> str:
            raise type(kind, (LookupError,), {})(f"no result for {query}")  # one issue per call

        autoheal_mcp.instrument(server)

        async def run() -> None:
            async with Client(server, mode="legacy") as client:
                for number, (_, sample) in enumerate(samples):
                    kind = "Lookup" + "".join(chr(65 + int(d)) for d in str(number)) + "Error"
                    args = {"kind": kind, "query": sample.text, "options": {"nested": [sample.text]}}
                    args["api_key"] = sample.text
                    await client.call_tool("lookup", args)
                    if number % 50 == 49:  # the worker's queue holds 100 and sheds load past that
                        await anyio.to_thread.run_sync(autoheal_mcp.drain, 120)

        anyio.run(run)
        assert autoheal_mcp.drain(120)
        filed = issues(hub)
        stored = json.dumps([[i.title, i.body, [c.body for c in i.comments]] for i in filed]).encode()
        state = b"".join(p.read_bytes() for p in Path(env["AUTOHEAL_STATE_DIR"]).rglob("*") if p.is_file())
    assert len(filed) == len(samples), sorted(i.title.split(":")[0] for i in filed)
    leaks = [name for name, s in samples if s.core.encode() in stored + state]
    assert leaks == [], _context({"mcp": [s.core for n, s in samples if n in leaks]}, stored)


def _without_auth_header(data: bytes) -> bytes:
    """The hub's own token is meant to be sent, in this header only."""
    return b"\r\n".join(line for line in data.split(b"\r\n") if not line.lower().startswith(b"authorization:"))


def _context(leaks: dict[str, list[str]], data: bytes) -> list[str]:
    """Where each leaked secret sits, to see which form slipped through."""
    text = data.decode("utf-8", "replace")
    return [text[max(0, text.find(s) - 80) : text.find(s) + 40] for found in leaks.values() for s in found if s in text]


def test_random_cores_are_not_trivially_short():
    assert all(len(f.sample().core) >= 8 for f in FORMATS), "a short core could match by chance"
