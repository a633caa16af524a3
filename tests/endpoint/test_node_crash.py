"""A Node process that crashes files an issue through `serve` on loopback, and still exits 1."""

from __future__ import annotations

import os
import subprocess

from endpoint.hubenv import ROOT, autoheal_hub, endpoint, wait_for_issues, wait_until

SNIPPET = ROOT / "shims" / "autoheal.js"
APP = """
const config = { apiKey: 'sk-live-0123456789abcdefghijkl' };
function chargeCard(order) { return order.card.number; }
function checkout() { return chargeCard({ id: 42 }); }
setTimeout(checkout, 5);
"""


def test_node_crash_files_one_scrubbed_issue_and_exits_1(tmp_path):
    app = tmp_path / "checkout.js"
    app.write_text(APP)
    with autoheal_hub(tmp_path) as (hub, env), endpoint({**env, "AUTOHEAL_INGEST_KEY": "pub-ingest"}) as served:
        node_env = {"PATH": os.environ["PATH"], "AUTOHEAL_ENDPOINT": served.url, "AUTOHEAL_INGEST_KEY": "pub-ingest"}
        for _ in range(2):  # the second crash is the same one: counted on the issue, not a new issue
            run = subprocess.run(
                ["node", "-r", str(SNIPPET), str(app)],
                env=node_env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert run.returncode == 1
            assert "TypeError: Cannot read properties of undefined (reading 'number')" in run.stderr
        (issue,) = wait_for_issues(hub, 1)
        assert wait_until(lambda: len(issue.comments) == 1, 20), "the repeat is recorded on the same issue"
    assert issue.title.startswith("TypeError: Cannot read properties of undefined")
    assert {"auto-heal", "js-error"} <= set(issue.labels)
    assert "chargeCard" in issue.body and "checkout.js" in issue.body
    assert "uncaughtexception" in issue.body
    assert "pub-ingest" not in issue.body
    assert str(tmp_path) not in issue.body, "the working directory is not sent"
