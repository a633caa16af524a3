"""`ghcache` as a user runs it: gh-style help, --version, --json/--jq, explain without `--`, readable units,
exit statuses that say what happened, one-line errors, and no traceback when the reader goes away."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from ghrig import GhRig
from support import REAL_PYTHON

from ghcache import config
from ghcache.cli import APP, human_duration

ARGPARSE_NOISE = ("usage:", "positional arguments", "options:", "show this help message", "{")


def cli(zipapps: Path, rig: GhRig, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REAL_PYTHON, str(zipapps / "ghcache.pyz"), *args],
        env=env or rig.env,
        capture_output=True,
        text=True,
        cwd=rig.home,
        timeout=60,
    )


def test_help_and_version_read_like_gh(rig: GhRig, zipapps: Path) -> None:
    top = cli(zipapps, rig)
    assert top.returncode == 0 and top.stdout.startswith("A cache in front of the gh CLI")
    assert cli(zipapps, rig, "help").stdout == top.stdout == cli(zipapps, rig, "--help").stdout
    for section in ("USAGE\n  ghcache <command> [flags]", "COMMANDS\n", "FLAGS\n", "LEARN MORE\n"):
        assert section in top.stdout
    for name in APP.commands:
        text = cli(zipapps, rig, "help", name).stdout
        assert text == cli(zipapps, rig, name, "--help").stdout and f"USAGE\n  ghcache {name}" in text
        assert not any(noise in text.replace("{start|stop|status}", "") for noise in ARGPARSE_NOISE), text
    assert cli(zipapps, rig, "--version").stdout == cli(zipapps, rig, "version").stdout == "ghcache version 0.1.0\n"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nope"], 2, "ghcache: unknown command 'nope' (see `ghcache help`)"),
        (["help", "nope"], 2, "ghcache: unknown command 'nope' (see `ghcache help`)"),
        (["stats", "--bogus"], 2, "ghcache: unrecognized arguments: --bogus (see `ghcache stats --help`)"),
        (["explain"], 2, "ghcache: explain needs gh's arguments, e.g. `ghcache explain pr list`"),
        (["stats", "--jq", ".["], 2, "ghcache: --jq: "),
        (["daemon", "status"], 1, "ghcache: daemon not running"),
    ],
)
def test_errors_are_one_line_with_a_telling_exit_status(
    rig: GhRig, zipapps: Path, args: list[str], code: int, message: str
) -> None:
    done = cli(zipapps, rig, *args)
    assert done.returncode == code and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(message), done.stderr


def test_a_bad_setting_is_a_usage_error(rig: GhRig, zipapps: Path) -> None:
    done = cli(zipapps, rig, "stats", env={**rig.env, "GH_CACHE_MAX_SIZE": "lots"})
    assert done.returncode == 2 and done.stderr.startswith("ghcache: GH_CACHE_MAX_SIZE='lots' is not a size")


def test_explain_takes_gh_arguments_without_a_separator(rig: GhRig, zipapps: Path) -> None:
    plain = cli(zipapps, rig, "explain", "issue", "list", "-R", "octo/hello", "--json", "number")
    separated = cli(zipapps, rig, "explain", "--", "issue", "list", "-R", "octo/hello", "--json", "number")
    assert plain.returncode == 0 and plain.stdout == separated.stdout
    assert 'argv       ["issue", "list", "-R", "octo/hello", "--json", "number"]' in plain.stdout
    report = json.loads(cli(zipapps, rig, "explain", "--json", "api", "repos/octo/hello").stdout)
    assert (report["decision"], report["data_class"], report["cached"]["state"]) == ("read", "repository", "absent")
    rig.run("api", "repos/octo/hello")
    assert cli(zipapps, rig, "explain", "--jq", ".cached.state", "api", "repos/octo/hello").stdout == "fresh\n"
    write = json.loads(cli(zipapps, rig, "explain", "--json", "issue", "create", "-t", "x").stdout)
    assert write["decision"] == "write" and write["invalidates"]


def test_durations_read_as_the_settings_are_written(rig: GhRig, zipapps: Path) -> None:
    sha = "0123456789abcdef" * 2 + "01234567"
    text = cli(zipapps, rig, "explain", "api", f"repos/octo/hello/commits/{sha}").stdout
    assert "data class   immutable (TTL 1y; GH_CACHE_TTL_IMMUTABLE)" in text and "e+" not in text
    rig.run("api", "repos/octo/hello")
    fresh = cli(zipapps, rig, "explain", "api", "repos/octo/hello").stdout
    assert "fresh for 59m" in fresh or "fresh for 1h" in fresh, fresh


@pytest.mark.parametrize("unit", ["s", "m", "h", "d", "w", "y"])
def test_a_duration_reads_back_through_the_settings_parser(unit: str) -> None:
    """The oracle is the parser of GH_CACHE_TTL_*: each part explain prints (`1d5h` = `1d` + `5h`) is a
    setting, and together they are the duration, short by less than the smallest unit shown."""
    for count in (1, 2, 3, 5, 6, 11, 23, 29, 59, 61, 400):
        if unit == "y" and count > 100:  # past what a setting may say: refused, never printed
            with pytest.raises(config.BadValue, match="too large"):
                config.seconds(f"{count}{unit}", "TTL")
            continue
        seconds = config.seconds(f"{count}{unit}", "TTL")
        shown = human_duration(seconds)
        parts = re.findall(r"\d+[smhdwy]", shown)
        assert "".join(parts) == shown and 1 <= len(parts) <= 2, shown
        total = sum(config.seconds(part, "TTL") for part in parts)
        assert 0 <= seconds - total < config.seconds("1" + parts[-1][-1], "TTL"), (seconds, shown)


def test_human_duration_keeps_two_units_and_never_an_exponent() -> None:
    assert [human_duration(s) for s in (0, 0.4, 59, 90, 3600, 5400, 86400 + 61, 31536000, 3.1536e9)] == [
        "0s",
        "0s",
        "59s",
        "1m30s",
        "1h",
        "1h30m",
        "1d",
        "1y",
        "100y",
    ]


def test_stats_json_jq_and_since(rig: GhRig, zipapps: Path, tmp_path: Path) -> None:
    rig.run("api", "repos/octo/hello")
    rig.run("api", "repos/octo/hello")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(cli(zipapps, rig, "stats", "--json").stdout)
    assert json.loads(baseline.read_text())["hits"] == {"local": 1}
    rig.run("api", "repos/octo/hello")
    assert cli(zipapps, rig, "stats", "--jq", ".hits.local").stdout == "2\n"
    assert cli(zipapps, rig, "stats", "--since", str(baseline), "--jq", ".hits.local").stdout == "1\n"
    since = cli(zipapps, rig, "stats", "--markdown", "--since", str(baseline)).stdout
    this_run, _, lifetime = since.partition("<details>")
    assert "| gh calls answered from cache | 1 |" in this_run and "| gh calls answered from cache | 2 |" in lifetime
    cli(zipapps, rig, "clear")  # counters restart below the baseline: all of them are new
    assert cli(zipapps, rig, "stats", "--since", str(baseline), "--jq", ".hits.local").stdout == "0\n"


@pytest.mark.parametrize("args", [["help"], ["stats"], ["stats", "--json"], ["explain", "api", "repos/o/r"]])
def test_a_closed_pipe_ends_quietly(rig: GhRig, zipapps: Path, args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte (`ghcache ... | head -0`)
    try:
        done = subprocess.run(
            [REAL_PYTHON, str(zipapps / "ghcache.pyz"), *args],
            env=rig.env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")
