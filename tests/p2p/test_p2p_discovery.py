"""Peers find each other by mDNS on loopback (no bootstrap list), under a namespace-derived service type."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from fakehub import FakeHub
from p2prig import Node, wait_for

pytestmark = pytest.mark.slow


def test_mdns_on_loopback_connects_daemons_of_one_namespace(tmp_path: Path) -> None:
    lan = {
        "GH_CACHE_P2P_MDNS": "1",
        "GH_CACHE_P2P_MDNS_INTERFACES": "127.0.0.1",
        "GH_CACHE_SHARED_SECRET": secrets.token_hex(16),
    }  # a fresh namespace: no other run's daemons
    stranger = {**lan, "GH_CACHE_SHARED_SECRET": secrets.token_hex(16)}
    with FakeHub(mode="tls") as hub:
        nodes = [
            Node("m1", hub, tmp_path, **lan),
            Node("m2", hub, tmp_path, **lan),
            Node("m3", hub, tmp_path, **stranger),
        ]
        try:
            for node in nodes:
                node.start()
            wait_for(
                lambda: nodes[0].status().get("peers") == [nodes[1].status()["peer_id"]],
                20,
                "m1 and m2 to find each other",
            )
            assert nodes[2].status().get("peers") == []  # another namespace browses another service type
        finally:
            for node in nodes:
                node.stop()
