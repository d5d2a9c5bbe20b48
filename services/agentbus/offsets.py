"""Committing a request partition's offsets while records finish out of order.

A record is *settled* once its reply is acknowledged and, if it started a task that
runs on after answering (a non-blocking send), once that task ended: a crash before
then leaves the record uncommitted, so it is delivered again and the task resumed.
The tracker commits, per partition, up to the lowest unsettled record, in the
background, on revocation and on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiokafka import TopicPartition as AioTopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from agentbus.metrics import Metrics
from agentbus.progress import PartitionProgress

__all__ = ["OffsetTracker"]

log = logging.getLogger(__name__)

_COMMIT_INTERVAL_S = 0.2


class OffsetTracker(ConsumerRebalanceListener):  # type: ignore[misc]
    """Per-partition progress of one consumer, and the commits that follow from it."""

    def __init__(
        self,
        agent: str,
        consumer: Callable[[], Any],
        metrics: Metrics,
        *,
        before_revoke: Callable[[set[AioTopicPartition]], Awaitable[None]],
    ) -> None:
        self.agent = agent
        self._consumer = consumer
        self._metrics = metrics
        self._before_revoke = before_revoke
        self.progress: dict[AioTopicPartition, PartitionProgress] = {}
        self._last_read: dict[AioTopicPartition, int] = {}
        self.joined = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    # -- records -----------------------------------------------------------------------

    def read(self, topic: str, partition: int, offset: int) -> PartitionProgress:
        """Start tracking a record; returns its partition's progress."""
        tp = AioTopicPartition(topic, partition)
        self._last_read[tp] = offset
        progress = self.progress.get(tp)
        if progress is None:  # assignment callback not seen yet; track anyway
            progress = self.progress[tp] = PartitionProgress()
        progress.start(offset)
        return progress

    def settle(self, progress: PartitionProgress, offset: int) -> None:
        """The record is done: its offset may be committed once those below it are."""
        progress.finish(offset)
        self._wakeup.set()

    # -- committing --------------------------------------------------------------------

    def start(self) -> None:
        """Commit in the background from now on."""
        if self._loop is None:
            self._loop = asyncio.create_task(self._commit_loop(), name=f"commit-{self.agent}")

    async def stop(self) -> None:
        """Commit what is settled and stop the background committer."""
        await self.commit(list(self.progress))
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None

    async def _commit_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self.commit(list(self.progress))
            await asyncio.sleep(_COMMIT_INTERVAL_S)

    async def commit(self, partitions: list[AioTopicPartition]) -> None:
        """Commit each partition up to its lowest unsettled record."""
        consumer = self._consumer()
        if consumer is None:
            return
        offsets: dict[AioTopicPartition, int] = {}
        for tp in partitions:
            progress = self.progress.get(tp)
            if progress is not None and (offset := progress.committable()) is not None:
                offsets[tp] = offset
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (KafkaError, AssertionError) as exc:
            self._metrics.retries.labels(self.agent, "commit").inc()
            log.warning("committing offsets %s failed (%r); will retry", offsets, exc)
            self._wakeup.set()
            return
        for tp, offset in offsets.items():
            if (progress := self.progress.get(tp)) is not None:
                progress.mark_committed(offset)

    # -- rebalancing (aiokafka calls these) --------------------------------------------

    async def on_partitions_revoked(self, revoked: set[AioTopicPartition]) -> None:
        """Finish answering what we read from ``revoked``, commit it, let go."""
        mine = {tp for tp in revoked if tp in self.progress}
        if mine:
            await self._before_revoke(mine)
        await self.commit(list(mine))
        for tp in mine:
            self.progress.pop(tp, None)
            self._last_read.pop(tp, None)

    async def on_partitions_assigned(self, assigned: set[AioTopicPartition]) -> None:
        """Start tracking the partitions the group gave us."""
        for tp in assigned:
            self.progress.setdefault(tp, PartitionProgress())
        self.joined.set()
        owned = sorted(f"{tp.topic}[{tp.partition}]" for tp in self.progress)
        log.info("agent %s owns %s", self.agent, ", ".join(owned) or "no partitions")

    def lag(self) -> Iterator[tuple[str, str, int, int]]:
        """(agent, topic, partition, records not yet read) for the lag gauge."""
        consumer = self._consumer()
        if consumer is None:
            return
        for tp in list(self.progress):
            with contextlib.suppress(Exception):
                high = consumer.highwater(tp)
                if high is not None:
                    read = self._last_read.get(tp, -1) + 1
                    yield self.agent, tp.topic, tp.partition, max(0, high - read)
