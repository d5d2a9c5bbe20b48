"""Dead letters: requests an agent cannot process, kept with why, and re-driven later.

A request that cannot be processed at all (malformed JSON, not JSON-RPC, unknown
method, wrong schema, oversized, or no way to answer it) is answered at once with
the A2A error when possible and copied to ``agent.<name>.dlq``: the original value,
key and headers, plus headers saying what was wrong and where it came from. The
partition goes on: a poison record never blocks the records behind it.

``redrive`` puts dead letters back on the request topic once the cause is fixed
(a new agent version, a corrected client); the consumer group
``<agent>.dlq-redrive`` remembers how far it got, so nothing is re-driven twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from agentbus.bus import KafkaBus
from agentbus.connection import admin_args, stop_consumer
from agentbus.metrics import get_metrics
from agentbus.names import Headers
from agentbus.provisioning import partition_count
from agentbus.wire import decode_headers, now_ms

__all__ = ["DeadLetters", "RedriveReport", "redrive"]

log = logging.getLogger(__name__)

_ERROR_HEADERS = frozenset(
    {
        Headers.ERROR_CODE,
        Headers.ERROR_MESSAGE,
        Headers.ORIGINAL_TOPIC,
        Headers.ORIGINAL_PARTITION,
        Headers.ORIGINAL_OFFSET,
        "agentbus-dlq-reason",
        "agentbus-dlq-at-ms",
    }
)


class DeadLetters:
    """Copies records agent ``agent`` cannot process to its dead-letter topic."""

    def __init__(self, bus: KafkaBus, agent: str) -> None:
        self.bus = bus
        self.agent = agent
        self.topic = bus.topics.dlq(agent)
        self._metrics = get_metrics()

    async def send(
        self, record: ConsumerRecord[Any, Any], *, reason: str, code: int, message: str
    ) -> None:
        """Publish ``record`` to the DLQ with the error in headers (acknowledged)."""
        headers = {
            k: v for k, v in decode_headers(record.headers).items() if k not in _ERROR_HEADERS
        }
        headers.update(
            {
                Headers.ERROR_CODE: str(code),
                Headers.ERROR_MESSAGE: message[:1000],
                Headers.ORIGINAL_TOPIC: record.topic,
                Headers.ORIGINAL_PARTITION: str(record.partition),
                Headers.ORIGINAL_OFFSET: str(record.offset),
                "agentbus-dlq-reason": reason,
                "agentbus-dlq-at-ms": str(now_ms()),
            }
        )
        headers.setdefault("content-type", "application/octet-stream")
        await self.bus.publish(self.topic, record.value, key=record.key, headers=headers)
        self._metrics.dlq.labels(self.agent, reason).inc()
        log.warning(
            "request at %s[%d]@%d sent to %s: %s (%s)",
            record.topic,
            record.partition,
            record.offset,
            self.topic,
            reason,
            message[:200],
        )


@dataclass(frozen=True, slots=True)
class RedriveReport:
    """What a re-drive did."""

    redriven: int
    skipped: int


async def redrive(
    bus: KafkaBus,
    agent: str,
    *,
    limit: int = 0,
    reasons: set[str] | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> RedriveReport:
    """Put dead letters of ``agent`` back on the topic they came from.

    Only the letters present when it starts are considered (a re-driven request that
    fails again becomes a new letter for the next re-drive, not a loop).

    Args:
        bus: a started bus (its producer re-publishes the records).
        agent: whose dead-letter topic to read.
        limit: stop after this many (0: all there are).
        reasons: only records whose DLQ reason is one of these.
        dry_run: report what would be re-driven; commit nothing.
        progress: called with a line per record.
    """
    settings = bus.settings
    topic = bus.topics.dlq(agent)
    connection = admin_args(settings, client_id=f"{settings.kafka.client_id}-redrive")
    partitions = [TopicPartition(topic, p) for p in range(await partition_count(connection, topic))]
    consumer = AIOKafkaConsumer(
        **connection,
        group_id=f"{agent}.dlq-redrive",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    driver = _Redriver(bus, agent, reasons, dry_run, progress)
    try:
        # Assigned, not subscribed: no rebalance to wait for; the group only keeps offsets.
        consumer.assign(partitions)
        for tp in partitions:
            committed = await consumer.committed(tp)
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
        ends = await consumer.end_offsets(partitions)
        while await _behind(consumer, ends):
            if limit and driver.redriven >= limit:
                break
            batches = await consumer.getmany(timeout_ms=1000, max_records=100)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends.get(tp, 0) or (limit and driver.redriven >= limit):
                        consumer.seek(tp, record.offset)
                        break
                    await driver.one(record)
            if not dry_run:
                await consumer.commit()
    finally:
        await stop_consumer(consumer, "redrive")
    return RedriveReport(redriven=driver.redriven, skipped=driver.skipped)


async def _behind(consumer: AIOKafkaConsumer, ends: dict[Any, int]) -> bool:
    """Whether some partition has not been read up to where it ended at the start."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


@dataclass
class _Redriver:
    bus: KafkaBus
    agent: str
    reasons: set[str] | None
    dry_run: bool
    progress: Callable[[str], None]
    redriven: int = 0
    skipped: int = 0

    async def one(self, record: ConsumerRecord[Any, Any]) -> None:
        headers = decode_headers(record.headers)
        reason = headers.get("agentbus-dlq-reason", "?")
        origin = headers.get(Headers.ORIGINAL_TOPIC, self.bus.topics.requests(self.agent))
        if self.reasons is not None and reason not in self.reasons:
            self.skipped += 1
            return
        verb = "would re-drive" if self.dry_run else "re-driving"
        self.progress(f"{verb} {record.offset} ({reason}) to {origin}")
        if not self.dry_run:
            clean = {k: v for k, v in headers.items() if k not in _ERROR_HEADERS}
            await self.bus.publish(origin, record.value, key=record.key, headers=clean)
        self.redriven += 1
