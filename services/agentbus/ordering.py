"""Run work concurrently, except that work with the same key runs in arrival order.

A partition of ``agent.<name>.requests`` carries many conversations; the record
key is the conversation (A2A ``contextId``). Messages of one conversation must be
handled one after the other, in the order they were sent; different conversations
need not wait for each other. :class:`KeyedSequencer` gives exactly that.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

__all__ = ["KeyedSequencer"]


class KeyedSequencer:
    """Serialises holders of the same key in the order they called :meth:`turn`."""

    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        """Number of keys with work queued or running."""
        return len(self._tails)

    def reserve(
        self, key: Hashable | None
    ) -> tuple[asyncio.Future[None] | None, asyncio.Future[None]]:
        """Take a place in ``key``'s queue now; returns (what to wait for, what to release).

        Reserving synchronously, at the moment a record is read, fixes the order even
        if the tasks that process the records start in another order.
        """
        loop = asyncio.get_running_loop()
        mine: asyncio.Future[None] = loop.create_future()
        if key is None:
            return None, mine
        previous = self._tails.get(key)
        self._tails[key] = mine
        mine.add_done_callback(lambda fut: self._forget(key, fut))
        return previous, mine

    def _forget(self, key: Hashable, fut: asyncio.Future[None]) -> None:
        if self._tails.get(key) is fut:
            del self._tails[key]

    @asynccontextmanager
    async def turn(
        self, reservation: tuple[asyncio.Future[None] | None, asyncio.Future[None]]
    ) -> AsyncIterator[None]:
        """Wait for the previous holder of the key, hold the key, release it on exit."""
        previous, mine = reservation
        try:
            if previous is not None:
                await asyncio.shield(previous)
            yield
        finally:
            if not mine.done():
                mine.set_result(None)
