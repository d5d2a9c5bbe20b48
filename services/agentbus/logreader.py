"""Reading a compacted topic from the beginning, with "caught up" as a wait condition.

Both the task store (``agent.tasks``) and the agent registry (``agent.registry``)
keep an in-memory view of a compacted topic. Every process reads every partition
from the start, without a consumer group, and can wait until it has applied all
records that existed when it asked: that is what makes a read after someone
else's acknowledged write see that write.

Unlike the request and reply subscribers, this reader uses a plain aiokafka
consumer and applies records in fetched batches: most records on a shared log are
other agents' and are skipped, and going through FastStream's per-message pipeline
for each cost more CPU than applying them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka import TopicPartition as AioTopicPartition
from aiokafka.errors import KafkaError

from agentbus.bus import KafkaBus
from agentbus.connection import admin_args, stop_consumer
from agentbus.errors import BrokerUnavailableError

__all__ = ["CompactedTopicReader", "RecordHandler"]

log = logging.getLogger(__name__)

RecordHandler = Callable[["ConsumerRecord[Any, Any]"], Awaitable[None]]


class CompactedTopicReader:
    """Feeds every record of ``topic`` to ``handle`` in log order, from the beginning."""

    def __init__(self, bus: KafkaBus, topic: str, handle: RecordHandler) -> None:
        self.bus = bus
        self.topic = topic
        self._handle = handle
        self._applied: dict[int, int] = {}
        self._progress = asyncio.Condition()
        self._consumer: AIOKafkaConsumer | None = None
        self._loop: asyncio.Task[None] | None = None
        bus.on_lifecycle(self._start, self._stop)

    async def _start(self) -> None:
        settings = self.bus.settings
        self._consumer = AIOKafkaConsumer(
            self.topic,
            **admin_args(settings, client_id=f"{settings.kafka.client_id}-{self.bus.name}-log"),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.kafka.fetch_max_wait_ms,
            max_partition_fetch_bytes=settings.kafka.max_request_bytes + 64 * 1024,
        )
        await self._consumer.start()
        self._loop = asyncio.create_task(self._read(self._consumer), name=f"read-{self.topic}")
        # Teach the bus's end-offset client this topic now, not on the first request
        # that has to catch up (its metadata refresh would delay that request).
        with contextlib.suppress(BrokerUnavailableError):
            await self.bus.end_offsets([AioTopicPartition(self.topic, 0)])

    async def _stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        if self._consumer is not None:
            await stop_consumer(self._consumer, f"reader of {self.topic}")
            self._consumer = None

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                batches = await consumer.getmany(timeout_ms=1000)
            except KafkaError as exc:
                log.warning("reading %s failed (%r); retrying", self.topic, exc)
                await asyncio.sleep(1.0)
                continue
            for tp, records in batches.items():
                for record in records:
                    try:
                        await self._handle(record)
                    except Exception:  # a bad record must not stop the log
                        log.exception(
                            "could not apply %s[%d]@%d", tp.topic, tp.partition, record.offset
                        )
                if records:
                    async with self._progress:
                        self._applied[tp.partition] = records[-1].offset + 1
                        self._progress.notify_all()

    def lagging(self) -> bool:
        """Whether records fetched metadata says exist have not all been applied yet."""
        consumer = self._consumer
        if consumer is None:
            return False
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is not None and self._applied.get(tp.partition, 0) < high:
                return True
        return False

    async def catch_up(self, timeout: float) -> None:
        """Wait until every record written before this call has been handled.

        Raises:
            TimeoutError: not caught up within ``timeout`` seconds.
        """
        consumer = self._consumer
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
