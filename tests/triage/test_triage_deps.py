"""Declaring a missing distribution: the right name, the right file, the layout kept, nothing guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from autoheal.triage import deps
from autoheal.triage.patterns.missing_module import distribution_for


@pytest.mark.parametrize(
    "module, distribution",
    [
        ("cv2", "opencv-python"),
        ("PIL.Image", "Pillow"),
        ("sklearn.linear_model", "scikit-learn"),
        ("bs4", "beautifulsoup4"),
        ("dateutil.parser", "python-dateutil"),
        ("no_such_thing_xyz", None),
    ],
)
def test_import_name_to_distribution(module: str, distribution: str | None) -> None:
    assert distribution_for(module) == distribution


@pytest.mark.parametrize(
    "before",
    [
        "dependencies = []\n",
        'dependencies = ["requests>=2"]  # runtime\n',
        'dependencies = [\n    "requests>=2",\n    "click"\n]\n',
        'version = "1"\n',
    ],
)
def test_pyproject_gains_exactly_one_entry_and_keeps_the_rest(tmp_path: Path, before: str) -> None:
    text = f'[project]\nname = "demo"\n{before}\n[tool.other]\nkeep = "me"\n'
    (tmp_path / "pyproject.toml").write_text(text)
    path, after = deps.add(tmp_path, "PyYAML")
    old = tomllib.loads(text)["project"].get("dependencies", [])
    assert path == "pyproject.toml"
    assert tomllib.loads(after)["project"]["dependencies"] == [*old, "PyYAML"]
    assert tomllib.loads(after)["tool"] == {"other": {"keep": "me"}}


def test_requirements_file_is_used_without_a_project_table(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.0  # pinned\n-r base.txt")
    path, after = deps.add(tmp_path, "PyYAML")
    assert (path, after) == ("requirements.txt", "requests==2.0  # pinned\n-r base.txt\nPyYAML\n")
    (tmp_path / path).write_text(after)
    assert deps.declared(tmp_path) == ["requests==2.0", "PyYAML"] and deps.declares(tmp_path, "pyyaml")


def test_a_project_without_dependency_files_gets_requirements_txt(tmp_path: Path) -> None:
    assert deps.add(tmp_path, "PyYAML") == ("requirements.txt", "PyYAML\n")
