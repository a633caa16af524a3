"""The `/_fakehub/*` control API, so a test in another process can steer and inspect a running hub.
These routes bypass auth, faults and the request log."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from . import rest
from .calls import Reply
from .store import NotFound

if TYPE_CHECKING:
    from .server import HubServer

#: Store methods the seed endpoint may call, by name, with JSON keyword arguments.
SEEDABLE = (
    "add_user",
    "add_repo",
    "add_issue",
    "add_pull",
    "add_comment",
    "add_label",
    "add_release",
    "add_commit",
    "add_run",
    "assign",
)


def handle(server: HubServer, method: str, path: str, body: bytes) -> Reply:
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return Reply(400, {"message": "control bodies are JSON"})
    if path == "/_fakehub/requests" and method == "GET":
        return Reply(200, server.requests())
    if path == "/_fakehub/requests" and method == "DELETE":
        server.clear_requests()
        return Reply(204)
    if path == "/_fakehub/config" and method == "POST":
        return configure(server, data)
    if path == "/_fakehub/seed" and method == "POST":
        return seed(server, data)
    if path.startswith("/_fakehub/issues/") and method == "GET":
        return show_issue(server, path.removeprefix("/_fakehub/issues/"))
    if path.startswith("/_fakehub/run-logs/") and method == "GET":
        return run_logs(server, path.removeprefix("/_fakehub/run-logs/"))
    return Reply(404, {"message": f"unknown control route {method} {path}"})


def configure(server: HubServer, data: dict[str, Any]) -> Reply:
    """Flip latency, outage, rate limiting and the search lag; keys left out keep their value."""
    faults = server.faults
    if "latency_ms" in data:
        faults.latency_ms = float(data["latency_ms"] or 0)
    if "outage" in data:
        faults.outage = data["outage"] or None
    if "rate_limited" in data:
        faults.rate_limited = data["rate_limited"] or None
    if "search_lag_s" in data:
        server.store.search_lag_s = float(data["search_lag_s"] or 0)
    return Reply(200, {**dataclasses.asdict(faults), "search_lag_s": server.store.search_lag_s})


def seed(server: HubServer, data: dict[str, Any]) -> Reply:
    """Run `{"calls": [{"method": "add_issue", "kwargs": {...}}, ...]}` against the store."""
    results = []
    for item in data.get("calls", []):
        if item.get("method") not in SEEDABLE:
            return Reply(400, {"message": f"not seedable: {item.get('method')!r}"})
        try:
            record = getattr(server.store, item["method"])(**item.get("kwargs", {}))
        except (TypeError, ValueError, NotFound) as exc:
            return Reply(422, {"message": str(exc)})
        results.append(plain(record))
    return Reply(200, {"results": results})


def show_issue(server: HubServer, ref: str) -> Reply:
    """`GET /_fakehub/issues/OWNER/REPO/N`: the stored record, including recorded agent assignments."""
    full_name, _, number = ref.rpartition("/")
    try:
        return Reply(200, plain(server.store.get_issue(full_name, int(number))))
    except (NotFound, ValueError):
        return Reply(404, {"message": f"no issue {ref}"})


def run_logs(server: HubServer, ref: str) -> Reply:
    """`GET /_fakehub/run-logs/OWNER/REPO/RUN_ID`: the download a run's `/logs` redirects to."""
    full_name, _, run_id = ref.rpartition("/")
    try:
        with server.store.lock:
            archive = rest.log_archive(server.store, full_name, int(run_id))
    except (NotFound, ValueError):
        return Reply(404, {"message": f"no logs for {ref}"})
    return Reply(200, archive, {"Content-Type": "application/zip"})


def plain(record: Any) -> Any:
    """A dataclass as JSON-able data (sets become sorted lists)."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        return record
    data = dataclasses.asdict(record)
    return {k: sorted(v) if isinstance(v, set) else v for k, v in data.items()}
