"""The `autoheal` command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def test_help_and_version_read_like_gh(env):
    top = autoheal_cli(env)
    assert top.returncode == 0 and "USAGE\n  autoheal <command> [flags]" in top.stdout and "COMMANDS\n" in top.stdout
    assert autoheal_cli(env, "help").stdout == top.stdout == autoheal_cli(env, "--help").stdout
    for name in ("status", "flush", "preview", "triage", "init-workflow", "install"):
        text = autoheal_cli(env, "help", name).stdout
        assert text == autoheal_cli(env, name, "--help").stdout and f"USAGE\n  autoheal {name}" in text
        assert not any(noise in text for noise in ("usage:", "positional arguments", "options:", "show this help"))
    assert autoheal_cli(env, "--version").stdout == "autoheal version 0.1.0\n"


def test_status_says_where_each_setting_comes_from(env):
    Path(env["AUTOHEAL_CONFIG"]).write_text(json.dumps({"max_comments": 5, "repo": "octo/from-file"}))
    mixed = {**env, "AUTOHEAL_REPO": "", "GITHUB_REPOSITORY": "octo/from-ci", "AUTOHEAL_TIMEOUT": "7"}
    sources = json.loads(autoheal_cli(mixed, "status", "--json").stdout)["sources"]
    assert sources["max_comments"] == sources["repo"] == f"file {env['AUTOHEAL_CONFIG']}"  # the file beats CI's
    assert (sources["timeout"], sources["labels"], sources["state_dir"]) == (
        "env AUTOHEAL_TIMEOUT",
        "default",
        "env AUTOHEAL_STATE_DIR",
    )
    Path(env["AUTOHEAL_CONFIG"]).write_text("{}")
    assert autoheal_cli(mixed, "status", "--jq", ".sources.repo").stdout == "env GITHUB_REPOSITORY\n"
    assert autoheal_cli(mixed, "status", "--jq", ".repo").stdout == "octo/from-ci\n"
    text = autoheal_cli(mixed, "status").stdout
    assert any(line.split() == ["timeout", "7.0", "(env", "AUTOHEAL_TIMEOUT)"] for line in text.splitlines()), text


def test_flush_and_test_exit_1_while_a_report_waits(hub, env):
    hub.set_outage(503)
    failed = autoheal_cli(env, "test")
    assert failed.returncode == 1 and failed.stdout.startswith("spooled")
    waiting = autoheal_cli(env, "flush", "--json")
    assert waiting.returncode == 1 and json.loads(waiting.stdout)["left"] == 1
    hub.set_outage(None)
    delivered = autoheal_cli(env, "flush", "--json")
    assert delivered.returncode == 0, delivered.stderr
    report = json.loads(delivered.stdout)
    assert report["left"] == 0 and [o["action"] for o in report["outcomes"]] == ["created"]
    assert autoheal_cli(env, "flush").stdout.strip() == "0 report(s) left in the spool"


def test_preview_json_and_jq(hub, env):
    assert autoheal_cli(env, "test").returncode == 0
    shown = json.loads(autoheal_cli(env, "preview", "--json").stdout)
    assert shown["what"] == "was sent last" and shown["requests"][0]["method"] == "POST"
    titles = autoheal_cli(env, "preview", "--synthetic", "--jq", ".requests[].json.title")
    assert titles.returncode == 0 and titles.stdout.startswith("RuntimeError: autoheal test")


def test_usage_errors_are_one_line_exit_2(env):
    for args, message in [
        (["nope"], "autoheal: error: unknown command 'nope'"),
        (["triage"], "autoheal: error: pass --issue N or --sweep"),
        (["triage", "--issue", "1", "--sweep"], "autoheal: error: pass --issue N or --sweep"),
        (["init-workflow", "."], "autoheal: error: the following arguments are required: --action"),
        (["status", "--jq", ".["], "autoheal: error: --jq: "),
    ]:
        done = autoheal_cli(env, *args)
        assert done.returncode == 2 and done.stderr.startswith(message) and done.stderr.count("\n") == 1, args


def test_a_closed_pipe_ends_quietly(env):
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        child_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        done = subprocess.run(
            [sys.executable, "-m", "autoheal", "status"], env=child_env, stdout=write_end, stderr=subprocess.PIPE
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, b"")
