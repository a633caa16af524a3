"""Peers that keep dialling a daemon without holding the namespace secret: a flood for the inbound
cap test. Run as `python strangers.py <multiaddr> <count> <report file>`; each of `count` libp2p
hosts (Noise + yamux, as a daemon's) dials, waits until the daemon closes the connection, and dials
again; the report file holds how often each one was closed, rewritten as that changes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as create_noise_key_pair
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport


def stranger() -> IHost:
    key_pair = create_new_key_pair()
    noise = NoiseTransport(key_pair, noise_privkey=create_noise_key_pair().private_key)
    return new_host(key_pair=key_pair, sec_opt={NOISE_PROTOCOL_ID: noise}, muxer_preference="YAMUX")


async def keep_dialling(host: IHost, target: PeerInfo, index: int, closed: list[int], report: Path) -> None:
    async with host.run(listen_addrs=[]):
        while True:
            try:
                with trio.move_on_after(5):
                    await host.connect(target)
            except Exception:  # refused or closed during the handshake: counts as closed
                pass
            while target.peer_id in host.get_connected_peers():
                await trio.sleep(0.05)
            closed[index] += 1
            partial = report.with_suffix(".partial")
            partial.write_text(json.dumps(closed))
            partial.replace(report)  # whole, never half written
            await trio.sleep(0.1)


async def main(addr: str, count: int, report: Path) -> None:
    target = info_from_p2p_addr(multiaddr.Multiaddr(addr))
    closed = [0] * count
    async with trio.open_nursery() as nursery:
        for index in range(count):
            nursery.start_soon(keep_dialling, stranger(), target, index, closed, report)


if __name__ == "__main__":
    trio.run(main, sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
