"""Hostile traffic against a real `serve()` process wired to fakehub: never a 5xx, never an issue, bounded memory."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from endpoint.hubenv import autoheal_hub, endpoint, issues, wait_for_issues
from endpoint.rig import VALID

from autoheal.endpoint.settings import REPORT_PATH
from autoheal.endpoint.validate import FIELDS, Invalid, parse

SEED = 20240611
WRONG_VALUES: list[Any] = [None, True, 0, -1, 1.5, 2**70, "", "x" * 20_000, [], [1, "a"], {}, {"a": {"b": [None]}}]
HOSTILE_STRINGS = ["\ud800", "<script>alert(1)</script>\ud83d", "\x00" * 3 + "\udfff"]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def wrong_types() -> Iterator[bytes]:
    """Each field of a good report, in turn, given a value of the wrong type or size."""
    full = dict(
        VALID,
        userAgent="UA",
        platform="P",
        tool="t",
        params={"a": 1},
        retries=1,
        context={"c": "d"},
        timestamp="2026-01-01T00:00:00Z",
    )
    for name in full:
        for value in WRONG_VALUES + HOSTILE_STRINGS:
            if not FIELDS[name](value):  # a value that happens to be valid is not this test's business
                yield json.dumps(dict(full, **{name: value})).encode("utf-8", "surrogatepass")


def hostile_shapes(rng: random.Random) -> Iterator[bytes]:
    """Valid JSON that is not a report: unknown keys, missing keys, wrong containers, odd nesting."""
    for key in ["__proto__", "constructor", "prototype", "$where", "name ", "NAME", "", "\u202e", "a" * 10_000]:
        yield _json(dict(VALID, **{key: {"polluted": True}}))
    for drop in ("name", "message"):
        yield _json({k: v for k, v in VALID.items() if k != drop})
    for container in ([VALID], "report", 42, None, True, [], [[[]]]):
        yield _json(container)
    yield _json(dict(VALID, params={f"k{i}": i for i in range(51)}))
    yield _json(dict(VALID, params={"k" * 51: 1}))
    yield _json(dict(VALID, context={"deep": {"deeper": {"deepest": 1}}}))
    yield _json(dict(VALID, v=2))
    yield _json(dict(VALID, kind="error; DROP TABLE issues"))
    for _ in range(200):
        yield _json({rng.choice(list(VALID)): rng.choice(WRONG_VALUES) for _ in range(rng.randint(0, 6))})


def _still_valid(body: bytes) -> bool:
    try:
        parse(body)
    except Invalid:
        return False
    return True


def malformed(rng: random.Random) -> Iterator[bytes]:
    good = _json(VALID)
    for cut in range(0, len(good), 3):
        yield good[:cut]
    for _ in range(300):
        yield bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
    for _ in range(400):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
        if not _still_valid(bytes(data)):  # a flipped letter inside the message is still a fine report
            yield bytes(data)
    yield b"[" * 60_000
    yield b'{"a":' * 10_000
    yield b'{"name": NaN, "message": ""}'
    yield b'{"name": "a", "message": "", "retries": Infinity}'
    yield b'{"name": "a", "message": "", "retries": 1' + b"0" * 5000 + b"}"
    yield b"\xef\xbb\xbf" + good
    yield good.decode().encode("utf-16")
    yield b"\xff\xfe\xfd" + good
    yield good + b"garbage"
    yield good + good


def oversized(rng: random.Random) -> Iterator[bytes]:
    for size in (65_537, 100_000, 1 << 20, 4 << 20):
        yield _json(dict(VALID, stack="s" * size))
    for _ in range(20):
        yield bytes(rng.getrandbits(8) for _ in range(rng.randint(65_537, 200_000)))


def bodies() -> list[bytes]:
    rng = random.Random(SEED)
    return [*wrong_types(), *hostile_shapes(rng), *malformed(rng), *oversized(rng)]


KEY = "fuzz-ingest-key"
# Each turns an otherwise good request (right key, good body) into one the endpoint must refuse.
HEADER_CASES: list[dict[str, str]] = [
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": "multipart/form-data; boundary=x"},
    {"Content-Type": ""},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://127.0.0.1.evil.example"},
    {"X-Autoheal-Key": "x" * 5000},
    {"X-Autoheal-Key": ""},
    {"X-Autoheal-Key": KEY.upper()},
    {"X-Autoheal-Key": KEY.replace("-", "_")},
]


def _post_head(length: str) -> bytes:
    return (
        f"POST {REPORT_PATH} HTTP/1.1\r\nContent-Type: application/json\r\nX-Autoheal-Key: {KEY}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


RAW_REQUESTS: list[bytes] = [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS ClientHello
    b"GARBAGE\r\n\r\n",
    b"POST " + REPORT_PATH.encode() + b" HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n",
    b"POST /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
    _post_head("10") + b"{",
    _post_head("-5") + json.dumps(VALID).encode(),
    _post_head("abc") + json.dumps(VALID).encode(),
    _post_head("9" * 30) + json.dumps(VALID).encode(),
    _post_head("1e2") + json.dumps(VALID).encode(),
    b"POST " + REPORT_PATH.encode() + b" HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"GET /healthz HTTP/9.9\r\n\r\n",
    b"\r\n\r\n\r\n",
]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raw_status(url: str, request: bytes) -> int | None:
    """Send bytes as they are; the status line of whatever comes back (None: closed without an answer)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            head = sock.recv(64)
        except (ConnectionResetError, BrokenPipeError):
            return None
    return int(head.split()[1]) if head.startswith(b"HTTP/") else None


@pytest.fixture
def hostile_server(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    with autoheal_hub(tmp_path) as (hub, env):
        limits = {
            "AUTOHEAL_ENDPOINT_PER_MINUTE": "1000000",
            "AUTOHEAL_ALLOWED_ORIGINS": "http://127.0.0.1",
            "AUTOHEAL_INGEST_KEY": KEY,
        }
        with endpoint({**env, **limits}) as served:
            yield hub, served


@pytest.mark.slow
def test_fuzz_never_5xx_never_files_memory_bounded(hostile_server):
    hub, served = hostile_server
    http = urllib3.PoolManager(retries=False, timeout=15)
    url = served.url + REPORT_PATH
    good_headers = {"Content-Type": "application/json", "X-Autoheal-Key": KEY}
    for _ in range(50):  # warm up allocator and imports before the baseline
        http.request("POST", url, body=b"{}", headers=good_headers)
    baseline = rss_kib(served.pid)

    statuses: Counter[int] = Counter()
    cases = bodies()
    for body in cases:
        statuses[http.request("POST", url, body=body, headers=good_headers).status] += 1
    for headers in HEADER_CASES:
        for body in (_json(VALID), b"{"):
            statuses[http.request("POST", url, body=body, headers={**good_headers, **headers}).status] += 1
    raw = Counter(raw_status(served.url, request) for request in RAW_REQUESTS)
    growth = rss_kib(served.pid) - baseline

    total = len(cases) + 2 * len(HEADER_CASES) + len(RAW_REQUESTS)
    print(f"\nfuzz: {total} requests, statuses {dict(statuses)}, raw {dict(raw)}, RSS growth {growth} KiB")
    assert len(cases) >= 1000
    assert all(400 <= status < 500 for status in statuses), statuses
    assert all(status is None or 400 <= status < 500 for status in raw), raw
    assert 202 not in statuses
    assert http.request("GET", served.url + "/healthz").status == 200, "still serving"
    assert growth < 30 * 1024, f"RSS grew {growth} KiB"
    time.sleep(0.5)
    assert issues(hub) == [], "nothing hostile was filed"


@pytest.mark.slow
def test_rate_limit_holds_under_concurrent_loopback_load(tmp_path):
    per_minute, threads, each = 20, 8, 25
    with autoheal_hub(tmp_path) as (hub, env):
        with endpoint({**env, "AUTOHEAL_ENDPOINT_PER_MINUTE": str(per_minute)}) as served:
            url = served.url + REPORT_PATH
            results: list[tuple[int, str | None]] = []
            lock = threading.Lock()

            def client() -> None:
                http = urllib3.PoolManager(retries=False, timeout=15)
                for _ in range(each):
                    reply = http.request("POST", url, body=_json(VALID), headers={"Content-Type": "application/json"})
                    with lock:
                        results.append((reply.status, reply.headers.get("Retry-After")))

            started = time.monotonic()
            workers = [threading.Thread(target=client) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(60)
            elapsed = time.monotonic() - started
            found = wait_for_issues(hub, 1)
    statuses = Counter(status for status, _ in results)
    print(f"\nrate limit: {len(results)} requests in {elapsed:.2f} s -> {dict(statuses)}")
    assert len(results) == threads * each
    assert set(statuses) <= {202, 429}
    assert per_minute <= statuses[202] <= per_minute + int(elapsed * per_minute / 60) + 1
    assert all(retry and int(retry) >= 1 for status, retry in results if status == 429)
    assert len(found) == 1, "the accepted repeats are one crash: one issue"
