"""submit()/flush() in-process against fakehub: rate limits, the hourly budget, redelivery, dry run, threads."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from ahtest import autoheal_issues, issue_json, occurrence_count

from autoheal.capture import capture_exception
from autoheal.pipeline import flush, submit
from autoheal.sinks.spool import Spool
from autoheal.state import Ledger


def crash(kind: str = "a"):
    """A report from a real exception; each `kind` crashes in a different function."""

    def fail_a():
        raise KeyError("user 1234")

    def fail_b():
        raise KeyError("user 99")

    def fail_c():
        raise OSError("disk /var/data full")

    try:
        {"a": fail_a, "b": fail_b, "c": fail_c}[kind]()
    except Exception as e:
        return capture_exception(e, "cli-error", {"tool": "demo"})


def test_submit_creates_then_comments_then_counts(hub, load_config):
    config = load_config(AUTOHEAL_MAX_COMMENTS="1")
    actions = [submit(crash(), config).action for _ in range(4)]
    assert actions == ["created", "commented", "counted", "counted"]
    [issue] = autoheal_issues(hub)
    assert occurrence_count(issue) == 4
    data = issue_json(issue)
    assert data["schema"] == "autoheal/report@1" and data["context"] == {"tool": "demo"}


def test_masked_message_keeps_one_fingerprint(hub, load_config):
    config = load_config()
    first = submit(crash("a"), config)
    assert submit(crash("a"), config).issue == first.issue
    assert submit(crash("b"), config).issue != first.issue  # another function


def test_redelivering_a_delivered_report_duplicates_nothing(hub, load_config):
    """A kill after GitHub accepted the report but before the spool file was removed."""
    config = load_config()
    report = crash()
    submit(report, config)
    [issue] = autoheal_issues(hub)
    comments = len(issue.comments)
    spool = Spool(config.spool_dir)
    delivered = json.loads(
        Ledger(config.state_dir).last_sent()[-1]["json"]["body"].split("```json\n")[-1].split("\n```")[0]
    )
    spool.put(replace(report, trace_id=delivered["trace_id"], fingerprint=delivered["fingerprint"]))
    outcomes = flush(config, time.monotonic() + 10)
    assert [o.action for o in outcomes.values()] == ["duplicate"]
    assert len(issue.comments) == comments and spool.pending() == []


def test_rate_limit_spools_and_stops_calling_github(hub, load_config):
    config = load_config()
    for kind in ("secondary", "primary"):
        hub.set_rate_limited(kind)
        assert submit(crash(), config).action == "spooled"
        calls = hub.upstream_count()
        assert submit(crash("b"), config).action == "spooled"
        assert hub.upstream_count() == calls  # waited instead of calling again
        Ledger(config.state_dir).back_off(0)  # time passes
    hub.set_rate_limited(None)
    outcomes = flush(config, time.monotonic() + 10)
    assert {o.action for o in outcomes.values()} <= {"created", "commented", "counted"}
    assert len(autoheal_issues(hub)) == 2 and Spool(config.spool_dir).pending() == []


def test_hourly_budget_caps_new_issues(hub, load_config):
    config = load_config(AUTOHEAL_MAX_ISSUES_PER_HOUR="2")
    actions = [submit(crash(kind), config).action for kind in "abc"]
    assert actions == ["created", "created", "spooled"]
    assert submit(crash("a"), config).action == "spooled"  # queued behind the spooled one, in order
    assert len(autoheal_issues(hub)) == 2


def test_dry_run_sends_nothing_and_records_the_request(hub, load_config):
    config = load_config(AUTOHEAL_DRY_RUN="1")
    assert submit(crash(), config).action == "dry-run"
    assert hub.requests() == []
    [request] = Ledger(config.state_dir).last_sent()
    assert request["method"] == "POST" and "autoheal:fingerprint=" in request["json"]["body"]


def test_concurrent_submits_file_one_issue(hub, load_config):
    config = load_config()
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: submit(crash(), config, timeout=20), range(16)))
    [issue] = autoheal_issues(hub)
    assert occurrence_count(issue) == 16
    assert sum(o.action == "created" for o in outcomes) == 1


def test_no_repository_or_token_spools(hub, load_config, env):
    assert submit(crash(), load_config(AUTOHEAL_REPO="", GITHUB_TOKEN="")).action == "spooled"
    assert hub.requests() == []
