"""Declaring a missing distribution: the right name, the right file, the layout kept, nothing guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from autoheal.triage import deps, failure, poetry
from autoheal.triage.modules import candidate


@pytest.mark.parametrize(
    "module, distribution",
    [
        ("cv2", "opencv-python"),
        ("PIL.Image", "Pillow"),
        ("sklearn.linear_model", "scikit-learn"),
        ("bs4", "beautifulsoup4"),
        ("dateutil.parser", "python-dateutil"),
        ("google.protobuf.json_format", "protobuf"),
        ("google.cloud.storage", "google-cloud-storage"),
        ("azure.identity", "azure-identity"),
        ("azure.storage.blob", "azure-storage-blob"),
        ("google", None),  # a bare namespace: which distribution is unknown
        ("requests.adapters", "requests"),  # same name: verification checks it ships the module
    ],
)
def test_import_name_to_distribution(module: str, distribution: str | None) -> None:
    assert candidate(module) == distribution


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


LAYOUTS = {  # files -> (file edited, text it then contains) for deps.add(tree, "PyYAML", "6.0.2")
    "pinned": (
        {"pyproject.toml": '[project]\nname = "d"\ndependencies = ["a==1"]\n'},
        "pyproject.toml",
        '"PyYAML==6.0.2"',
    ),
    "compatible": (
        {"pyproject.toml": '[project]\nname = "d"\ndependencies = ["a~=1.0"]\n'},
        "pyproject.toml",
        "~=6.0.2",
    ),
    "poetry": (
        {
            "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.10"\na = "^1.0"\n\n'
            "[build-system]\nrequires = []\n"
        },
        "pyproject.toml",
        'a = "^1.0"\nPyYAML = "^6.0.2"\n\n[build-system]',
    ),
    "dynamic": (
        {
            "pyproject.toml": '[project]\nname = "d"\ndynamic = ["dependencies"]\n'
            '[tool.setuptools.dynamic]\ndependencies = {file = ["deps.txt"]}\n',
            "deps.txt": "a>=1\n",
        },
        "deps.txt",
        "a>=1\nPyYAML>=6.0.2\n",
    ),
    "setup.py": (
        {"setup.py": 'from setuptools import setup\nREQS = ["a==1"]\nsetup(name="d", install_requires=REQS)\n'},
        "setup.py",
        'REQS = ["a==1", "PyYAML==6.0.2"]',
    ),
    "setup.cfg": (
        {"setup.cfg": "[options]\ninstall_requires =\n  a>=1\n\n[flake8]\nx = 1\n"},
        "setup.cfg",
        "  a>=1\n  PyYAML>=6.0.2\n\n[flake8]",
    ),
    "includes": (
        {"requirements.txt": "-r base.txt\n-r dev-tools.txt\n", "base.txt": "a==1\n", "dev-tools.txt": "b==1\n"},
        "base.txt",
        "a==1\nPyYAML==6.0.2\n",
    ),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_layout_is_edited_where_its_installer_reads_in_its_style(tmp_path: Path, layout: str) -> None:
    files, path, expected = LAYOUTS[layout]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    edited, after = deps.add(tmp_path, "PyYAML", "6.0.2")
    assert edited == path and expected in after
    (tmp_path / edited).write_text(after)
    assert deps.declares(tmp_path, "pyyaml")


@pytest.mark.parametrize(
    "files",
    [
        {"pyproject.toml": '[project]\nname = "d"\ndynamic = ["dependencies"]\n'},  # source unknown
        {"setup.py": "from setuptools import setup\nsetup(install_requires=compute())\n"},
        {"Pipfile": "[packages]\n"},
        {"pyproject.toml": '[tool.poetry]\nname = "d"\n'},  # Poetry without a dependency table
    ],
)
def test_no_safe_place_means_no_edit_and_never_a_stray_requirements_file(tmp_path: Path, files: dict) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert deps.add(tmp_path, "PyYAML", "6.0.2") is None


def test_optional_declarations_are_recognised(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "d"\ndependencies = []\n[project.optional-dependencies]\nfast = ["orjson>=3"]\n'
        '[dependency-groups]\ntest = ["pytest"]\n'
    )
    assert deps.optional_group(tmp_path, "orjson") == "extra `fast`"
    assert deps.optional_group(tmp_path, "pytest") == "dependency group `test`"
    assert deps.optional_group(tmp_path, "requests") is None


@pytest.mark.parametrize(
    "spec, pep508",
    [("^1.2", ">=1.2,<2.0"), ("^0.3.1", ">=0.3.1,<0.4.0"), ("~1.2", ">=1.2,<1.3"), ("1.2", "==1.2"), ("*", "")],
)
def test_poetry_constraints_read_as_pep508(spec: str, pep508: str) -> None:
    assert poetry.pep508(spec) == pep508


@pytest.mark.parametrize(
    "recorded, seen, same",
    [
        ("No such file: '/home/u/out/1.txt'", "No such file: '/home/u/out/2.txt'", True),  # numbers vary
        ("token = [REDACTED]", 'token = os.environ["API_TOKEN"]', True),
        ("[REDACTED] and [REDACTED]", "a and b", True),
        ("'SERVICE_URL'", "'HOME'", False),  # the message is compared as written
        ("x = [REDACTED]", "y = 1", False),
    ],
)
def test_messages_compare_as_written_with_redactions_as_wildcards(recorded: str, seen: str, same: bool) -> None:
    assert failure.same_text(recorded, seen) is same
