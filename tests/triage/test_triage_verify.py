"""The parts of verification that need no venv: the environment a reproduction gets and the command it runs."""

from __future__ import annotations

from pathlib import Path

from autoheal.report import Frame, Report
from autoheal.triage import verify


def report(**fields) -> Report:
    base = {"source": "cli-error", "exc_type": "KeyError", "message": "'X'", "frames": []}
    return Report(**{**base, **fields})


def test_recorded_variable_names_are_set_to_placeholders_and_no_value_or_token_leaks(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not_for_user_code")
    env = verify._env(
        report(env={"CI": "true", "GITHUB_REF": "refs/heads/secret-branch", "PATH": "/x"}), tmp_path, tmp_path
    )
    assert env["CI"] == env["GITHUB_REF"] == verify.PLACEHOLDER
    assert env["PATH"].startswith(str(tmp_path / "bin"))  # ours, not the recorded one
    assert "GITHUB_TOKEN" not in env and "secret-branch" not in str(env)


def test_python_dash_m_stays_python_dash_m(tmp_path: Path) -> None:
    (tmp_path / "src" / "tool").mkdir(parents=True)
    (tmp_path / "src" / "tool" / "main.py").write_text("")
    runpy = Frame("runpy", "_run_module_as_main", "<frozen runpy>", 198, False)
    app = Frame("__main__", "<module>", "/home/u/p/src/tool/main.py", 1, True)
    found = verify.reproduction(
        report(frames=[runpy, app], argv=["/home/u/p/src/tool/main.py", "--x"], cwd="/home/u/p"), tmp_path
    )
    assert isinstance(found, verify.Command)
    assert found.shown == ["python", "-m", "tool.main", "--x"] and found.argv == ["-m", "tool.main", "--x"]


def test_code_that_is_not_a_file_of_the_checkout_is_never_run(tmp_path: Path) -> None:
    assert isinstance(verify.reproduction(report(argv=["-c"], cwd="/w"), tmp_path), str)
    assert isinstance(verify.reproduction(report(argv=["/usr/bin/other-tool"], cwd="/w"), tmp_path), str)
    assert isinstance(verify.reproduction(report(argv=["/etc/passwd.py"], cwd="/w"), tmp_path), str)
