"""`serve()` as a process: what it accepted before SIGTERM is still filed."""
from __future__ import annotations

import json

import urllib3

from autoheal.endpoint.settings import REPORT_PATH
from endpoint.rig import VALID
from endpoint.hubenv import autoheal_hub, endpoint, issues


def test_reports_accepted_before_sigterm_are_filed(tmp_path):
    with autoheal_hub(tmp_path) as (hub, env):
        with endpoint(env) as served:
            http = urllib3.PoolManager(retries=False, timeout=10)
            for i in range(3):
                report = dict(VALID, name=f"Error{i}", stack=f"Error{i}: x\n    at step{i} (https://a.example/app.js:1:1)")
                reply = http.request("POST", served.url + REPORT_PATH, body=json.dumps(report),
                                     headers={"Content-Type": "application/json"})
                assert reply.status == 202
        # leaving `endpoint` sent SIGTERM and waited for the process to exit
        assert sorted(issue.title for issue in issues(hub)) == ["Error0: x is undefined", "Error1: x is undefined",
                                                                 "Error2: x is undefined"]
