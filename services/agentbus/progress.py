"""Which offsets of a partition may be committed while records finish out of order.

Records of one partition are started in offset order but may finish in any order
(different conversations run concurrently). Kafka stores one committed offset per
partition, meaning "everything below this is done", so the offset we may commit is
the lowest one still in flight, or one past the last started record when nothing
is in flight. Pure bookkeeping: no Kafka, no asyncio.
"""

from __future__ import annotations

import heapq

__all__ = ["PartitionProgress"]


class PartitionProgress:
    """Tracks started and finished offsets of one partition."""

    __slots__ = ("_committed", "_heap", "_in_flight", "_next")

    def __init__(self) -> None:
        self._in_flight: set[int] = set()
        self._heap: list[int] = []
        self._next: int | None = None
        self._committed: int | None = None

    def start(self, offset: int) -> None:
        """Record that processing of ``offset`` began (offsets arrive in increasing order)."""
        if offset in self._in_flight:
            return
        self._in_flight.add(offset)
        heapq.heappush(self._heap, offset)
        if self._next is None or offset + 1 > self._next:
            self._next = offset + 1

    def finish(self, offset: int) -> None:
        """Record that ``offset`` is done: its reply or task state is acknowledged."""
        self._in_flight.discard(offset)
        while self._heap and self._heap[0] not in self._in_flight:
            heapq.heappop(self._heap)

    @property
    def in_flight(self) -> int:
        """How many records of this partition are being processed."""
        return len(self._in_flight)

    def committable(self) -> int | None:
        """The offset to commit now, or ``None`` when nothing new is done.

        Returns the lowest in-flight offset (all below it are done) or, with nothing
        in flight, one past the last started record; ``None`` when that is not beyond
        what :meth:`mark_committed` last recorded.
        """
        if self._next is None:
            return None
        candidate = self._heap[0] if self._heap else self._next
        if self._committed is not None and candidate <= self._committed:
            return None
        return candidate

    def mark_committed(self, offset: int) -> None:
        """Remember that ``offset`` was committed, so it is not committed again."""
        if self._committed is None or offset > self._committed:
            self._committed = offset
