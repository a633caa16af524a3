"""`make demo`: both halves of the product, end to end, offline, on loopback.

1. ghcache: a GitHub emulator (fakehub) with 150 ms of latency; a realistic batch of gh reads runs
   twice through the shim with the real gh; fakehub counts the requests that reached "GitHub".
2. autoheal: a venv with the hook installed; a crashing script files one issue on fakehub, a repeat
   is counted on it, and `autoheal preview` shows exactly what was sent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from fakehub import FakeHub  # noqa: E402

PYTHON = os.path.realpath(sys.executable)
REAL_GH = shutil.which("gh", path=str(Path(sys.executable).parent)) or shutil.which("gh")
BATCH = [
    ["repo", "view", "octo/hello"],
    ["issue", "list", "-R", "octo/hello"],
    ["issue", "view", "2", "-R", "octo/hello"],
    ["pr", "list", "-R", "octo/hello"],
    ["pr", "view", "1", "-R", "octo/hello", "--json", "title,state,author"],
    ["release", "list", "-R", "octo/hello"],
    ["run", "list", "-R", "octo/hello", "--limit", "5"],
    ["label", "list", "-R", "octo/hello"],
    ["api", "repos/octo/hello"],
    ["api", "repos/octo/hello/pulls", "--jq", ".[].title"],
]
CRASH = """import json, logging
logging.basicConfig(level=logging.INFO)
logging.info("loading settings for user %s", "demo")
def load_settings(path):
    with open(path) as handle:
        return json.load(handle)
load_settings("/nonexistent/settings.json")
"""


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


def ghcache_half(hub: FakeHub, work: Path) -> None:
    env = {**os.environ, **hub.gh_env(home=work / "home")}
    launcher = subprocess.run(
        [PYTHON, str(ROOT / "bin" / "ghcache.pyz"), "install-shim", str(work / "bin")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    env.update(
        {
            "PATH": os.pathsep.join([os.path.dirname(launcher), str(Path(REAL_GH).parent), os.environ["PATH"]]),
            "GH_CACHE_DIR": str(work / "ghcache"),
        }
    )
    print(f"the gh launcher (what `source shims/gh-cache.sh` installs): {launcher}")
    for round_name in ("first run (cold cache)", "second run (warm cache)"):
        say(f"ghcache: {len(BATCH)} gh reads, {round_name}")
        for args in BATCH:
            hub.clear_requests()
            started = time.perf_counter()
            done = subprocess.run(["gh", *args], env=env, capture_output=True)
            took = (time.perf_counter() - started) * 1000
            status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
            print(f"  gh {' '.join(args):<62} {took:7.1f} ms  {hub.upstream_count():2d} upstream  {status}")
    say("ghcache stats")
    subprocess.run([PYTHON, str(ROOT / "bin" / "ghcache.pyz"), "stats"], env=env, check=True)
    say("ghcache explain -- issue list -R octo/hello")
    subprocess.run(
        [PYTHON, str(ROOT / "bin" / "ghcache.pyz"), "explain", "--", "issue", "list", "-R", "octo/hello"],
        env=env,
        check=True,
    )


def autoheal_half(hub: FakeHub, work: Path) -> None:
    venv = work / "app-venv"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    say("autoheal: install the hook into a venv")
    subprocess.run([PYTHON, str(ROOT / "bin" / "autoheal.pyz"), "install", "--venv", str(venv)], check=True)
    script = work / "app.py"
    script.write_text(CRASH)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(work / "home"),
        "AUTOHEAL_STATE_DIR": str(work / "autoheal"),
        "AUTOHEAL_CONFIG": str(work / "autoheal" / "config.json"),
        "AUTOHEAL_REPO": "octo/hello",
        "GITHUB_API_URL": hub.api_url,
        "GITHUB_TOKEN": hub.default_token,
        "SSL_CERT_FILE": str(hub.ca_file),
    }
    for attempt in (1, 2):
        say(f"autoheal: the app crashes (run {attempt}); its own traceback is unchanged")
        done = subprocess.run([str(venv / "bin" / "python"), str(script)], env=env, capture_output=True, text=True)
        lines = done.stderr.strip().splitlines()
        print(lines[-2], f"(exit code {done.returncode})")  # the program's own last line
        print(lines[-1])  # autoheal's one line: the report is delivered by a detached process
        # `autoheal flush` waits for that process and sends whatever it left (a CI job's last step does this).
        subprocess.run([PYTHON, str(ROOT / "bin" / "autoheal.pyz"), "flush"], env=env, capture_output=True)
    issues = [issue for issue in hub.state.get_repo("octo/hello").issues.values() if "auto-heal" in issue.labels]
    say("autoheal: what fakehub received")
    for issue in issues:
        print(
            f"  issue #{issue.number}: {issue.title!r}, labels {issue.labels}, "
            f"{len(issue.comments)} comment(s) recording repeats"
        )
    say("autoheal preview (exactly what was sent last)")
    preview = subprocess.run(
        [PYTHON, str(ROOT / "bin" / "autoheal.pyz"), "preview"], env=env, capture_output=True, text=True, check=True
    ).stdout
    print("\n".join(preview.splitlines()[:40]))
    if len(preview.splitlines()) > 40:
        print(f"  ... ({len(preview.splitlines()) - 40} more lines)")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ghcache-demo-") as tmp, FakeHub(mode="tls", latency_ms=150) as hub:
        print(
            f"fakehub (a GitHub emulator) on https://localhost:{hub.port}, 150 ms latency per request; "
            f"real gh: {REAL_GH}"
        )
        ghcache_half(hub, Path(tmp))
        hub.set_latency(0)
        autoheal_half(hub, Path(tmp))


if __name__ == "__main__":
    main()
