"""A peer without the namespace secret that asks a relay for a slot, then for a circuit to a runner:
`python relay_stranger.py <relay multiaddr> <runner peer id>` prints what the relay granted, one of
`reserved`/`refused`, then `circuit`/`refused`."""

from __future__ import annotations

import sys

import multiaddr
import trio
from libp2p import new_host
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as create_noise_key_pair
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.relay.circuit_v2.config import RelayConfig, RelayRole
from libp2p.relay.circuit_v2.protocol import PROTOCOL_ID as HOP_PROTOCOL
from libp2p.relay.circuit_v2.protocol import CircuitV2Protocol
from libp2p.relay.circuit_v2.transport import CircuitV2Transport
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport


async def main(relay_addr: str, runner: str) -> None:
    key_pair = create_new_key_pair()
    noise = NoiseTransport(key_pair, noise_privkey=create_noise_key_pair().private_key)
    host = new_host(key_pair=key_pair, sec_opt={NOISE_PROTOCOL_ID: noise}, muxer_preference="YAMUX")
    relay = info_from_p2p_addr(multiaddr.Multiaddr(relay_addr))
    async with host.run(listen_addrs=[]):
        transport = CircuitV2Transport(host, CircuitV2Protocol(host), RelayConfig(roles=RelayRole.STOP))
        await host.connect(relay)
        try:
            with trio.fail_after(20):
                stream = await host.new_stream(relay.peer_id, [HOP_PROTOCOL])
                granted = await transport._make_reservation(stream, relay.peer_id)  # noqa: SLF001
        except Exception:  # the relay reset the stream
            granted = False
        print("reserved" if granted else "refused", flush=True)
        try:
            with trio.fail_after(20):
                await transport.dial(multiaddr.Multiaddr(f"{relay_addr}/p2p-circuit/p2p/{runner}"))
            print("circuit", flush=True)
        except Exception:  # refused: reset, or an error status
            print("refused", flush=True)


if __name__ == "__main__":
    trio.run(main, sys.argv[1], sys.argv[2])
