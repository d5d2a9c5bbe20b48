"""Finding a wire record's dead letter, or its reply on another partition of the inbox topic."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from agentbus import KafkaBus
from agentbus.connection import admin_args
from agentbus.names import Headers
from agentbus.provisioning import partition_count
from agentbus.wire import decode_headers
from chaos.fuzz.wire_cases import FUZZ_ID

__all__: list[str] = []  # internal helper: the package's API is chaos/fuzz/__init__.py


class _Sweeper:
    """Reads the agent's DLQ and the inbox topic's other partitions for the fuzzer's records."""

    def __init__(self, bus: KafkaBus, dlq: str) -> None:
        self.bus = bus
        self.dlq = dlq
        self._watching: dict[str, asyncio.Queue[ConsumerRecord[Any, Any]]] = {}
        self._args = admin_args(bus.settings, client_id=f"{bus.client_id}-fuzz-sweeper")
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start at the end of every partition it reads."""
        inbox = self.bus.inbox_topic
        partitions = [
            TopicPartition(self.dlq, p) for p in range(await partition_count(self._args, self.dlq))
        ] + [
            TopicPartition(inbox, p)
            for p in range(await partition_count(self._args, inbox))
            if p != self.bus.inbox_partition
        ]
        self._consumer = consumer = AIOKafkaConsumer(
            **self._args,
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
            max_partition_fetch_bytes=self.bus.settings.kafka.max_request_bytes + 256 * 1024,
        )
        await consumer.start()
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)
        self._task = asyncio.create_task(self._run(consumer))

    async def stop(self) -> None:
        """Stop reading (raises what stopped the reading early, if anything did)."""
        try:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        finally:
            if self._consumer is not None:
                await self._consumer.stop()

    @contextlib.contextmanager
    def watch(self, fuzz_id: str, queue: asyncio.Queue[ConsumerRecord[Any, Any]]) -> Iterator[None]:
        """Put dead letters and stray replies of record ``fuzz_id`` on ``queue`` meanwhile."""
        self._watching[fuzz_id] = queue
        try:
            yield
        finally:
            self._watching.pop(fuzz_id, None)

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    headers = decode_headers(record.headers)
                    name = FUZZ_ID if record.topic == self.dlq else Headers.CORRELATION_ID
                    queue = self._watching.get(headers.get(name, ""))
                    if queue is not None:
                        queue.put_nowait(record)
