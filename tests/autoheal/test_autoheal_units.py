"""Unit tests: scrubbing forms, fingerprint stability, config precedence and errors, body rendering."""

from __future__ import annotations

import json

import pytest

from autoheal import config as config_module
from autoheal.fingerprint import fingerprint, mask_message
from autoheal.report import Frame, Report, parse_issue_body, render_body
from autoheal.scrub import REDACTED, Scrubber

SCRUB_CASES = [
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11"),
    ("key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("slack xoxb-1234-5678-abcdefghij", "xoxb-1234"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJzdWIi"),
    ("Authorization: Bearer abc.def-ghi_jkl", "abc.def"),
    ("db postgres://admin:hunter2@db:5432/x", "hunter2"),
    ("password=hunter2 next", "hunter2"),
    ('{"client_secret": "s3 cr3t"}', "s3 cr3t"),
    ("run --password hunter2 --verbose", "hunter2"),
    ("run --api-token=abc123", "abc123"),
    ("Cookie: session=abc123; theme=dark", "abc123"),
    ("-----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY-----", "MIIEabc"),
    ("aws wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and Zx9YtK2mLq8WvN4rB7cD3eF6gH1jK5pQ", "Zx9YtK2mLq8W"),
]


@pytest.mark.parametrize("text,secret", SCRUB_CASES)
def test_scrub_text_forms(text, secret):
    scrubbed = Scrubber().scrub_text(text)
    assert secret not in scrubbed and REDACTED in scrubbed


def test_scrub_keeps_ordinary_text_and_messages():
    scrubber = Scrubber()
    for text in ("KeyError: 'name'", "ValueError: item 7 is broken", "sha 3f786850e387550fdab836ed7e6dc881de23001b"):
        assert scrubber.scrub_text(text) == text


def test_scrub_structures_names_argv_home_user_and_known_values():
    scrubber = Scrubber(known_secrets=["opaque-value-123"], home="/home/alice", user="alice")
    data = {"DB_PASSWORD": "x", "nested": [{"auth_header": "y"}, "see opaque-value-123"], "ok": 1}
    assert scrubber.scrub(data) == {
        "DB_PASSWORD": REDACTED,
        "nested": [{"auth_header": REDACTED}, f"see {REDACTED}"],
        "ok": 1,
    }
    assert scrubber.scrub(["app", "--token", "abc", "-v"]) == ["app", "--token", REDACTED, "-v"]
    assert scrubber.scrub_text("/home/alice/proj by alice") == "~/proj by <user>"
    assert scrubber.scrub(scrubber.scrub(data)) == scrubber.scrub(data)


def test_scrubber_from_environment_removes_secret_named_values():
    scrubber = Scrubber.from_environment({"MY_SERVICE_KEY": "plain-words-here", "LANG": "C.UTF-8"})
    assert scrubber.scrub_text("got plain-words-here in C.UTF-8") == f"got {REDACTED} in C.UTF-8"


def frames(*names: str, lines: int = 0, in_app: bool = True) -> list[Frame]:
    return [Frame("app.mod", n, f"/home/u{lines}/app/mod.py", 10 + lines + i, in_app) for i, n in enumerate(names)]


def test_fingerprint_ignores_lines_paths_numbers_and_library_frames():
    base = fingerprint("ValueError", frames("main", "load"), "item 7 at 0x7f00 in /tmp/a.py")
    shifted = fingerprint("ValueError", frames("main", "load", lines=40), "item 9 at 0x1234 in /srv/b.py")
    with_lib = fingerprint(
        "ValueError",
        [*frames("main", "load"), Frame("json", "loads", "/usr/lib/json.py", 3, False)],
        "item 1 at 0xff in /x",
    )
    assert base == shifted == with_lib
    assert base != fingerprint("ValueError", frames("main", "save"), "item 7")
    assert base != fingerprint("TypeError", frames("main", "load"), "item 7")


def test_fingerprint_collapses_recursion_and_takes_a_frame_key():
    assert fingerprint("RecursionError", frames("f", "f", "f")) == fingerprint("RecursionError", frames("f"))
    js = [Frame("", "render", "https://x/app.js", 1, True)]
    assert fingerprint("TypeError", js, frame_key=lambda f: f.function) == fingerprint(
        "TypeError", [Frame("", "render", "https://y/app.js", 99, True)], frame_key=lambda f: f.function
    )


def test_mask_message():
    assert mask_message("user 'bob' id 123e4567-e89b-12d3-a456-426614174000 n=42") == "user '<s>' id <uuid> n=<n>"


def test_config_precedence_env_over_file_over_defaults(tmp_path):
    file = tmp_path / "c.json"
    file.write_text(json.dumps({"max_log_lines": 50, "repo": "a/b", "timeout": 5}))
    env = {"AUTOHEAL_CONFIG": str(file), "AUTOHEAL_STATE_DIR": str(tmp_path), "AUTOHEAL_TIMEOUT": "1.5"}
    config = config_module.load(env)
    assert (config.max_log_lines, config.repo, config.timeout, config.max_comments) == (50, "a/b", 1.5, 3)
    assert (
        config_module.load({**env, "AUTOHEAL_CONFIG": str(tmp_path / "none.json"), "GITHUB_REPOSITORY": "c/d"}).repo
        == "c/d"
    )


@pytest.mark.parametrize(
    "content,env,message",
    [
        ("{oops", {}, "not valid JSON"),
        ("[" * 100_000, {}, "nested too deeply"),
        ("[1]", {}, "JSON object"),
        ('{"token": "x"}', {}, "refusing to store"),
        ('{"colour": 1}', {}, "unknown config key"),
        ('{"max_log_lines": "lots"}', {}, "whole number"),
        ("{}", {"AUTOHEAL_TIMEOUT": "-1"}, "seconds"),
        ("{}", {"AUTOHEAL_ENABLED": "maybe"}, "true/false"),
        ("{}", {"AUTOHEAL_REPO": "just-a-name"}, "OWNER/NAME"),
        ("{}", {"GITHUB_API_URL": "ftp://x"}, "http"),
    ],
)
def test_config_errors_are_one_clear_line(tmp_path, content, env, message):
    file = tmp_path / "c.json"
    file.write_text(content)
    with pytest.raises(config_module.ConfigError, match=message) as error:
        config_module.load({"AUTOHEAL_CONFIG": str(file), "AUTOHEAL_STATE_DIR": str(tmp_path), **env})
    assert "\n" not in str(error.value)


def test_config_file_that_is_not_utf8_is_one_clear_line(tmp_path):
    file = tmp_path / "c.json"
    file.write_bytes(b'{"repo": "\xff"}')
    with pytest.raises(config_module.ConfigError, match="not UTF-8 text"):
        config_module.load({"AUTOHEAL_CONFIG": str(file), "AUTOHEAL_STATE_DIR": str(tmp_path)})


def sample_report(**changes) -> Report:
    fields = dict(
        source="cli-error",
        exc_type="ValueError",
        message="bad ``` fence",
        frames=frames("main"),
        traceback_text="Traceback\n```\nValueError: bad",
        logs=[f"line {i} " + "x" * 200 for i in range(1000)],
        fingerprint="ab" * 16,
        trace_id="cd" * 16,
    )
    return Report(**{**fields, **changes})


def test_body_stays_under_the_limit_and_round_trips():
    body = render_body(sample_report())
    assert len(body) <= 65_536
    assert "line 999" in body and "line 0 " not in body  # newest logs kept
    data = parse_issue_body(body)
    assert data["exc_type"] == "ValueError" and data["message"] == "bad ``` fence" and data["trace_id"] == "cd" * 16


def test_parse_issue_body_rejects_other_bodies():
    assert parse_issue_body("just a human issue") is None
    assert parse_issue_body("<!-- autoheal:report -->\n```json\n{broken\n```") is None
