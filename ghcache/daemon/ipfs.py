"""The IPFS tier behind a three-method interface, so any Kubo-compatible node can sit behind it.

Entries are stored sealed, so the node (and anyone who fetches the CID) sees only ciphertext.
The HTTP client blocks; its calls run on worker threads under the caller's deadline.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import trio

# ipfshttpclient 0.7.0 passes urllib3 2.x an argument it deprecates; harmless while urllib3 < 3.
warnings.filterwarnings("ignore", message="The 'strict' parameter", category=FutureWarning)

T = TypeVar("T")


class ContentStore(Protocol):
    """Content-addressed storage: what the daemon needs from IPFS and nothing more."""

    async def add(self, data: bytes) -> str:
        """Store and pin `data`; returns its CID."""

    async def cat(self, cid: str, max_size: int) -> bytes:
        """The bytes behind `cid`, at most `max_size` of them."""

    async def unpin(self, cid: str) -> None:
        """Let the node collect it: the entry was evicted or expired."""


class IpfsUnavailable(Exception):
    """The node did not answer, or answered with an error."""


class HttpIpfs:
    """A Kubo-compatible RPC API (`GH_CACHE_IPFS_API`) through ipfshttpclient."""

    def __init__(self, api: str, timeout: float) -> None:
        import ipfshttpclient

        # Client(), not connect(): connect() refuses every daemon newer than 0.8 (VersionMismatch).
        self.client = ipfshttpclient.Client(api, timeout=timeout)
        self.errors: tuple[type[BaseException], ...] = (ipfshttpclient.exceptions.Error, OSError)

    async def add(self, data: bytes) -> str:
        return str(await self._call(self.client.add_bytes, data, opts={"pin": "true"}))

    async def cat(self, cid: str, max_size: int) -> bytes:
        data = await self._call(self.client.cat, cid, length=max_size + 1)
        if len(data) > max_size:
            raise IpfsUnavailable(f"{cid} is larger than announced")
        return bytes(data)

    async def unpin(self, cid: str) -> None:
        await self._call(self.client.pin.rm, cid)

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            # trio-stubs (from trio-typing, a libp2p dependency) describe trio < 0.23 and shadow trio's own
            # annotations; there the flag is still called `cancellable`, which trio 0.35 no longer takes.
            return await trio.to_thread.run_sync(  # type: ignore[call-arg]
                lambda: function(*args, **kwargs), abandon_on_cancel=True
            )
        except self.errors as error:
            raise IpfsUnavailable(str(error)) from None
