"""Fixtures for autoheal: a fakehub, real venvs with the hook installed, and crashing child processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ahtest import REPO, make_venv
from fakehub import FakeHub

from autoheal import config as config_module
from autoheal import install


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="plain") as running:
        yield running


@pytest.fixture(scope="session")
def plain_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv without the hook, to compare the host program's own behaviour against."""
    return make_venv(tmp_path_factory.mktemp("plain") / "venv")


@pytest.fixture(scope="session")
def hooked_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = make_venv(tmp_path_factory.mktemp("hooked") / "venv")
    install.install(venv)
    return venv


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def env(hub: FakeHub, home: Path, tmp_path: Path) -> dict[str, str]:
    """A clean environment pointing autoheal at the hub, with its own config and state.

    Delivery is synchronous here, so a test can look at the hub as soon as the crashing process is gone;
    test_hook_e2e runs the default (a detached deliverer) and waits for the issues instead.
    """
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AUTOHEAL_CONFIG": str(tmp_path / "config.json"),
        "AUTOHEAL_STATE_DIR": str(tmp_path / "state"),
        "AUTOHEAL_REPO": REPO,
        "GITHUB_API_URL": hub.api_url,
        "GITHUB_TOKEN": hub.default_token,
        "PYTHONDONTWRITEBYTECODE": "1",
        "AUTOHEAL_DELIVERY": "sync",
    }


@pytest.fixture
def load_config(env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    """Settings for in-process submit(); the token, never in a Config, goes into os.environ."""

    def load(**overrides: str) -> config_module.Config:
        merged = {**env, **overrides}
        for name in ("GITHUB_TOKEN", "PATH"):
            monkeypatch.setenv(name, merged[name])
        monkeypatch.delenv("GH_TOKEN", raising=False)
        return config_module.load(merged)

    return load
