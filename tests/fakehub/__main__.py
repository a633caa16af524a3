"""Run a hub as its own process: `python -m fakehub --mode tls --ready-file PATH` (stops on SIGTERM)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from pathlib import Path

from .hub import FakeHub


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fakehub", description=__doc__)
    parser.add_argument("--mode", choices=("tls", "plain"), default="tls")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--state-dir", help="where the CA file goes (default: a temp dir removed at exit)")
    parser.add_argument("--ready-file", required=True, help="JSON with port, host, URLs, CA file, token and pid")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with FakeHub(mode=args.mode, latency_ms=args.latency_ms, state_dir=args.state_dir, port=args.port) as hub:
        write_ready(Path(args.ready_file), hub)
        stop.wait()


def write_ready(path: Path, hub: FakeHub) -> None:
    """Write atomically so a poller never reads half a file."""
    info = {
        "port": hub.port,
        "host": hub.host,
        "mode": hub.mode,
        "api_url": hub.api_url,
        "graphql_url": hub.graphql_url,
        "ca_file": hub.ca_file,
        "default_token": hub.default_token,
        "pid": os.getpid(),
    }
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(info))
    partial.replace(path)


if __name__ == "__main__":
    main()
