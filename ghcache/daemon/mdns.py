"""mDNS discovery on chosen interfaces, under a service type only our namespace browses.

libp2p's own mDNS listens on every interface under the public `_p2p` type; ours can be held to
loopback in tests and tells strangers on the LAN nothing about our namespace.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import trio
from libp2p.abc import IHost
from libp2p.discovery.events.peerDiscovery import peerDiscovery
from libp2p.discovery.mdns.broadcaster import PeerBroadcaster
from libp2p.discovery.mdns.listener import PeerListener
from libp2p.peer.peerinfo import PeerInfo
from zeroconf import InterfaceChoice, Zeroconf

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 5.0


def _port(host: IHost) -> int:
    for addr in host.get_addrs():
        port = addr.value_for_protocol("tcp")
        if port:
            return int(port)
    return 0


async def discover(host: IHost, service_type: str, interfaces: Sequence[str]) -> None:
    """Announce ourselves and dial every peer announced under `service_type` until cancelled."""
    zeroconf = Zeroconf(interfaces=list(interfaces) or InterfaceChoice.All)
    peer_id = host.get_id().to_string()
    name = f"{peer_id[-40:]}.{service_type}"
    send, receive = trio.open_memory_channel[PeerInfo](64)
    token = trio.lowlevel.current_trio_token()

    def found(info: PeerInfo) -> None:  # called on zeroconf's thread
        token.run_sync_soon(lambda: _offer(send, info))

    peerDiscovery.register_peer_discovered_handler(found)
    broadcaster = PeerBroadcaster(zeroconf, service_type, name, peer_id, _port(host), host=host)
    listener = PeerListener(host.get_peerstore(), zeroconf, service_type, name)
    try:
        await trio.to_thread.run_sync(broadcaster.register)
        async for info in receive:
            if info.peer_id != host.get_id() and info.peer_id not in host.get_connected_peers():
                with trio.move_on_after(CONNECT_TIMEOUT):
                    try:
                        await host.connect(info)
                    except Exception as error:  # a vanished peer; libp2p raises several types
                        log.debug("mdns: could not dial %s: %s", info.peer_id, error)
    finally:
        peerDiscovery.unregister_peer_discovered_handler(found)
        listener.stop()
        broadcaster.unregister()
        zeroconf.close()


def _offer(send: trio.MemorySendChannel[PeerInfo], info: PeerInfo) -> None:
    try:
        send.send_nowait(info)
    except (trio.WouldBlock, trio.ClosedResourceError):
        pass
