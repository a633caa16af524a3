"""The `autoheal` command as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from ahtest import autoheal_cli, autoheal_issues, spooled


def test_enable_status_config_round_trip(env):
    assert autoheal_cli(env, "enable", "--github-repo", "octo/other").returncode == 0
    assert autoheal_cli(env, "config", "--set", "max_comments", "5").returncode == 0
    status = json.loads(autoheal_cli({**env, "AUTOHEAL_REPO": ""}, "status", "--json").stdout)
    assert (status["repo"], status["max_comments"], status["token_source"]) == ("octo/other", 5, "GITHUB_TOKEN")
    assert env["GITHUB_TOKEN"] not in Path(env["AUTOHEAL_CONFIG"]).read_text()
    assert autoheal_cli(env, "disable").returncode == 0
    assert autoheal_cli(env, "config", "--get", "enabled").stdout.strip() == "false"


def test_bad_config_is_one_error_line(env):
    Path(env["AUTOHEAL_CONFIG"]).write_text("{oops")
    result = autoheal_cli(env, "status")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("autoheal: error:")
    refused = autoheal_cli(env, "config", "--set", "github_token", "abc")
    assert refused.returncode == 2 and "refusing" in refused.stderr


def test_test_command_files_an_issue_and_preview_shows_what_was_sent(hub, env):
    result = autoheal_cli(env, "test")
    assert result.stdout.startswith("created #"), result.stdout + result.stderr
    [issue] = autoheal_issues(hub)
    shown = autoheal_cli(env, "preview").stdout
    assert "was sent last" in shown and issue.body in shown


def test_preview_shows_spooled_reports_before_they_are_sent(hub, env):
    hub.set_outage(503)
    autoheal_cli(env, "test")
    assert len(spooled(env)) == 1
    shown = autoheal_cli(env, "preview").stdout
    assert "would be sent for the spooled reports" in shown and "RuntimeError" in shown


def test_flush_exits_1_while_reports_are_left_and_0_once_delivered(hub, env):
    hub.set_outage(503)
    autoheal_cli(env, "test")
    left = autoheal_cli(env, "flush")
    assert left.returncode == 1 and "1 report(s) left in the spool" in left.stdout
    assert json.loads(autoheal_cli(env, "status", "--json").stdout)["last_deliveries"][-1]["action"] == "spooled"
    hub.set_outage(None)
    done = autoheal_cli(env, "flush")
    assert done.returncode == 0 and "0 report(s) left in the spool" in done.stdout
    assert len(autoheal_issues(hub)) == 1 and spooled(env) == []
