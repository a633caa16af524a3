"""The endpoint's single filing worker cannot be stalled by one request: the worst a client can send
(every field at its size limit, filled with the inputs that make backtracking patterns slow) is filed in
bounded time, and the report after it still goes out."""

from __future__ import annotations

import json
import time

from endpoint.hubenv import autoheal_hub, issues, wait_until
from endpoint.rig import VALID, call

from autoheal import config as config_module
from autoheal.endpoint import make_app
from autoheal.endpoint.settings import Settings
from autoheal.endpoint.validate import FIELDS

SEEDS = ["a-", 'password="', "a://b:", "=", "eyJa.", "sshpass -p ", '\\"', "machine a login b ", "-----BEGIN "]
LIMITS = {"name": 200, "message": 2000, "stack": 16_000, "userAgent": 500, "platform": 100, "url": 2000, "tool": 200}


def hostile(seed: str, number: int) -> dict:
    fill = {key: (seed * (limit // len(seed) + 1))[:limit] for key, limit in LIMITS.items()}
    fill["name"] = f"E{number}" + fill["name"][3:]
    flat = {f"k{i}": (seed * 200)[:200] for i in range(50)}
    payload = {**VALID, **fill, "params": flat, "context": flat}
    while len(json.dumps(payload)) > Settings.max_body:  # escapes grow the body: stay just inside the limit
        payload["stack"] = payload["stack"][: len(payload["stack"]) * 3 // 4]
    return payload


def test_the_worst_payloads_are_filed_in_bounded_time_and_the_next_one_still_goes_out(tmp_path, monkeypatch):
    assert set(LIMITS) <= set(FIELDS)
    with autoheal_hub(tmp_path) as (hub, env):
        merged = {**env, "AUTOHEAL_MAX_ISSUES_PER_HOUR": "1000", "AUTOHEAL_TIMEOUT": "3"}
        for name in ("GITHUB_TOKEN",):
            monkeypatch.setenv(name, merged[name])
        app = make_app(config_module.load(merged), Settings(per_minute=10_000))
        started = time.monotonic()
        for number, seed in enumerate(SEEDS):
            assert call(app, body=hostile(seed, number)).status == 202
        assert call(app, body={**VALID, "name": "AfterError"}).status == 202
        filed = wait_until(lambda: any(i.title.startswith("AfterError") for i in issues(hub)), timeout=120)
        elapsed = time.monotonic() - started
    assert filed, "the report after the hostile ones was never filed"
    assert len(issues(hub)) == len(SEEDS) + 1
    # Each report is bounded by the core's deadline (AUTOHEAL_TIMEOUT) plus linear scrubbing of capped fields.
    assert elapsed < 3 * (len(SEEDS) + 1), f"{elapsed:.1f} s for {len(SEEDS) + 1} reports"
