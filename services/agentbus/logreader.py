"""Reading a compacted topic from the beginning, with "caught up" as a wait condition.

Both the task store (``agent.tasks``) and the agent registry (``agent.registry``)
keep an in-memory view of a compacted topic. Every process reads every partition
from the start, without a consumer group, and can wait until it has applied all
records that existed when it asked: that is what makes a read after someone
else's acknowledged write see that write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka import TopicPartition as AioTopicPartition
from faststream.middlewares import AckPolicy

from agentbus.bus import KafkaBus

__all__ = ["CompactedTopicReader", "RecordHandler"]

RecordHandler = Callable[["ConsumerRecord[Any, Any]"], Awaitable[None]]


class CompactedTopicReader:
    """Feeds every record of ``topic`` to ``handle`` in log order, from the beginning."""

    def __init__(self, bus: KafkaBus, topic: str, handle: RecordHandler) -> None:
        self.bus = bus
        self.topic = topic
        self._handle = handle
        self._applied: dict[int, int] = {}
        self._progress = asyncio.Condition()
        self._subscriber = bus.subscriber(
            topic,
            group_id=None,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
        )
        self._subscriber(self._on_message)

    async def _on_message(self, record: ConsumerRecord[Any, Any]) -> None:
        try:
            await self._handle(record)
        finally:
            async with self._progress:
                self._applied[record.partition] = record.offset + 1
                self._progress.notify_all()

    async def catch_up(self, timeout: float) -> None:
        """Wait until every record written before this call has been handled.

        Raises:
            TimeoutError: not caught up within ``timeout`` seconds.
        """
        consumer = self._subscriber.consumer
        if consumer is None:
            return
        partitions = consumer.assignment() or {
            AioTopicPartition(self.topic, p)
            for p in consumer.partitions_for_topic(self.topic) or ()
        }
        if not partitions:
            return
        ends = await self.bus.end_offsets(partitions)
        async with asyncio.timeout(timeout), self._progress:
            await self._progress.wait_for(
                lambda: all(self._applied.get(tp.partition, 0) >= end for tp, end in ends.items())
            )
