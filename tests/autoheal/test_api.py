"""`autoheal.capture_exception` and `autoheal.reporting()` in a real program against fakehub: errors the
program handles become issues through the hooks' pipeline (scrubbed, fingerprinted, one per crash), the
program goes on, and an error re-raised to the excepthook is not filed twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import urllib3
from ahtest import autoheal_issues, occurrence_count, run_script
from fakehub import FakeHub

from autoheal.report import parse_issue_body

ROOT = Path(__file__).resolve().parents[2]


def with_package(env: dict[str, str]) -> dict[str, str]:
    """The program has autoheal installed, as `import autoheal` needs: this checkout and its dependencies."""
    dependencies = {str(Path(module.__file__).parents[1]) for module in (urllib3, platformdirs)}
    return {**env, "PYTHONPATH": os.pathsep.join([str(ROOT), *sorted(dependencies)])}


def test_handled_errors_are_filed_and_the_program_goes_on(plain_venv: Path, hub: FakeHub, env: dict[str, str]) -> None:
    secret = "hunter2-" + "Zq9" * 12
    done = run_script(
        plain_venv,
        f"""
        import autoheal

        def export(rows):
            raise ValueError(f"row {{rows}} has no id")

        for attempt in range(3):
            try:
                export(17 + attempt)
            except ValueError as e:
                autoheal.capture_exception(e, attempt=attempt, password={secret!r}, rows=object())
        with autoheal.reporting(reraise=False, step="cleanup"):
            {{}}["missing"]
        print("still running")
        """,
        with_package(env),
    )
    assert done.returncode == 0 and done.stdout == "still running\n", done.stderr
    issues = sorted(autoheal_issues(hub), key=lambda issue: issue.number)
    assert len(issues) == 2  # the three exports are one crash (numbers masked), the cleanup another
    export, cleanup = issues
    assert "handled-error" in export.labels and "auto-heal" in export.labels
    assert occurrence_count(export) == 3
    report = parse_issue_body(export.body)
    assert report is not None and (report["source"], report["exc_type"]) == ("handled-error", "ValueError")
    assert report["context"]["attempt"] == 0 and report["context"]["rows"].startswith("<object object at")
    assert secret not in export.body and all(secret not in c.body for c in export.comments)
    assert (parse_issue_body(cleanup.body) or {})["context"] == {"step": "cleanup"}


def test_reporting_reraises_and_the_hook_does_not_file_it_again(
    hooked_venv: Path, hub: FakeHub, env: dict[str, str]
) -> None:
    done = run_script(
        hooked_venv,
        """
        import autoheal

        @autoheal.reporting(job="nightly")
        def main():
            raise RuntimeError("the nightly job broke")

        main()
        """,
        with_package(env),
    )
    assert done.returncode == 1 and "RuntimeError: the nightly job broke" in done.stderr  # the program's own
    [issue] = autoheal_issues(hub)
    assert occurrence_count(issue) == 1 and issue.comments == []
    assert (parse_issue_body(issue.body) or {})["context"] == {"job": "nightly"}


def test_nothing_is_reported_for_exits_and_interrupts_or_without_an_exception(
    plain_venv: Path, hub: FakeHub, env: dict[str, str]
) -> None:
    done = run_script(
        plain_venv,
        """
        import sys, autoheal
        autoheal.capture_exception()  # no exception being handled: nothing
        autoheal.capture_exception(KeyboardInterrupt())
        try:
            with autoheal.reporting():
                sys.exit(3)
        except SystemExit as e:
            print("exit", e.code)
        """,
        with_package(env),
    )
    assert done.stdout == "exit 3\n" and done.returncode == 0, done.stderr
    assert autoheal_issues(hub) == []


def test_importing_autoheal_loads_nothing_more() -> None:
    """The start-up hook imports the package: the API must cost it nothing until used."""
    code = "import sys; before = set(sys.modules); import autoheal; print(sorted(set(sys.modules) - before))"
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "['autoheal']"
