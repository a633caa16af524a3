"""Secure sessions that a cancelled task cannot break: every write to a libp2p connection is whole.

A Noise session numbers its messages: a message is encrypted under the next nonce, then sent. In
py-libp2p the send is a checkpoint, so a task cancelled there (a lookup that has its answer and
drops the other requests, a deadline, a read that was sending a window update) leaves a nonce
used but its message unsent or half sent. The peer then fails to authenticate every later message
and drops the connection, and with it the membership of both sides, until they reconnect and
greet again: seconds in which lookups, claims and stores between them all fail (measured: most
of the extra upstream runs of a matrix whose runners start at once). So a session's write runs
shielded from cancellation, bounded by WRITE_BOUND; a write that overruns it (a peer that stopped
reading) ends the session, which could only carry garbage after it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

import trio
from libp2p.network.connection.exceptions import RawConnError
from libp2p.security.secure_session import SecureSession

log = logging.getLogger(__name__)
WRITE_BOUND = 10.0  # seconds a connection may take to accept one frame; past it the connection is ended
CLOSE_BOUND = 1.0

Write = Callable[[SecureSession, bytes], Awaitable[None]]


def whole_writes(write: Write) -> Write:
    """`write`, shielded from cancellation and bounded in time."""

    @functools.wraps(write)
    async def whole(session: SecureSession, data: bytes) -> None:
        with trio.CancelScope(shield=True, deadline=trio.current_time() + WRITE_BOUND) as scope:
            await write(session, data)
        if scope.cancelled_caught:
            log.info("a connection took over %.0f s to accept a frame: ending it", WRITE_BOUND)
            with trio.CancelScope(shield=True, deadline=trio.current_time() + CLOSE_BOUND):
                await session.close()
            raise RawConnError("write overran its bound; the session was ended")

    return whole


def guard() -> None:
    """Make SecureSession writes whole, once per process (idempotent)."""
    if not hasattr(SecureSession.write, "__wrapped__"):
        SecureSession.write = whole_writes(SecureSession.write)  # type: ignore[method-assign,assignment]
