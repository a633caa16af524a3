"""Peers that keep dialling a daemon without holding the namespace secret: a flood for the inbound
cap test. Run as `python strangers.py <multiaddr> <count> <report file>`; each of `count` libp2p
hosts (Noise + yamux, as a daemon's) dials, waits until the daemon closes the connection, and dials
again, until a file `<report>.hold` appears: then each keeps the connection it has (if any) and dials
no more. The report, rewritten every 50 ms, says how often each was closed, how many hold, and how
many are connected."""

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


class Flood:
    def __init__(self, target: PeerInfo, count: int, report: Path) -> None:
        self.target, self.report, self.hold = target, report, report.with_suffix(".hold")
        self.hosts = [stranger() for _ in range(count)]
        self.closed, self.held = [0] * count, [False] * count

    async def keep_dialling(self, index: int) -> None:
        host = self.hosts[index]
        async with host.run(listen_addrs=[]):
            while not self.hold.exists():
                try:
                    with trio.move_on_after(5):
                        await host.connect(self.target)
                except Exception:  # refused or closed during the handshake: counts as closed
                    pass
                while self.connected(host) and not self.hold.exists():
                    await trio.sleep(0.05)
                if not self.connected(host):
                    self.closed[index] += 1
                await trio.sleep(0.1)
            self.held[index] = True
            await trio.sleep_forever()

    def connected(self, host: IHost) -> bool:
        return self.target.peer_id in host.get_connected_peers()

    async def write_reports(self) -> None:
        partial = self.report.with_suffix(".partial")
        while True:
            connected = sum(self.connected(host) for host in self.hosts)
            partial.write_text(json.dumps({"closed": self.closed, "held": sum(self.held), "connected": connected}))
            partial.replace(self.report)  # whole, never half written
            await trio.sleep(0.05)


def stranger() -> IHost:
    key_pair = create_new_key_pair()
    noise = NoiseTransport(key_pair, noise_privkey=create_noise_key_pair().private_key)
    return new_host(key_pair=key_pair, sec_opt={NOISE_PROTOCOL_ID: noise}, muxer_preference="YAMUX")


async def main(addr: str, count: int, report: Path) -> None:
    flood = Flood(info_from_p2p_addr(multiaddr.Multiaddr(addr)), count, report)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(flood.write_reports)
        for index in range(count):
            nursery.start_soon(flood.keep_dialling, index)


if __name__ == "__main__":
    trio.run(main, sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
