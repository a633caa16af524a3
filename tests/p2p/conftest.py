"""Fixtures for the p2p suite: one js-ipfs node per session (see p2prig for the processes)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

pytest.importorskip("libp2p")
pytest.importorskip("ipfshttpclient")

from p2prig import install_ipfs, ipfs_node  # noqa: E402


@pytest.fixture(scope="session")
def ipfs_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real js-ipfs node on loopback, started once per session; yields its API multiaddr."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed; scripts/setup-ipfs.sh needs it")
    install_ipfs()
    with ipfs_node(tmp_path_factory.mktemp("ipfs")) as api:
        yield api
