"""The ledger: what the agents wrote to ``agent.tasks``, read straight from Kafka.

The chaos suite does not trust the callers' view alone. Every task an agent
starts is in the compacted task log with the user message that asked for it, so
the log answers the two questions a failure test asks: did each request produce
a finished task (nothing lost), and did any request produce more than one task
(something done twice).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from a2a.types import Task, TaskState
from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf.message import DecodeError

from agentbus.provisioning import partition_count
from agentbus.wire import decode_headers

__all__ = ["Ledger", "read_ledger", "wait_for_ledger"]

_SNAPSHOT_KIND = "cas"
_WRITE_KIND = "agentbus-write-kind"
_WRITER = "agentbus-writer"


@dataclass
class Ledger:
    """Tasks in the log, grouped by the ``messageId`` of the request that started them."""

    tasks_of_message: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    states: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    artifacts: dict[str, int] = field(default_factory=dict)
    writers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """The processes (their Kafka client ids) that wrote each task's snapshots."""
    records: int = 0

    def add(self, task: Task, writer: str = "") -> None:
        """Count one snapshot of ``task`` written by ``writer``."""
        self.writers[task.id].add(writer)
        if task.history:
            self.tasks_of_message[task.history[0].message_id].add(task.id)
        self.states[task.id].add(task.status.state)
        self.artifacts[task.id] = max(self.artifacts.get(task.id, 0), len(task.artifacts))

    def completed(self, message_id: str) -> bool:
        """Whether a task started by ``message_id`` reached ``completed``."""
        return any(
            TaskState.TASK_STATE_COMPLETED in self.states[t]
            for t in self.tasks_of_message.get(message_id, ())
        )

    def started(self, message_id: str) -> bool:
        """Whether any task was started for ``message_id``."""
        return bool(self.tasks_of_message.get(message_id))

    def lost(self, message_ids: Iterable[str]) -> list[str]:
        """The requests among ``message_ids`` with no completed task."""
        return [m for m in message_ids if not self.completed(m)]

    def duplicates(self, message_ids: Iterable[str], *, artifacts_per_task: int = 1) -> list[str]:
        """Requests that started more than one task, or whose task holds a result twice."""
        twice = []
        for message_id in message_ids:
            tasks = self.tasks_of_message.get(message_id, set())
            if len(tasks) > 1 or any(self.artifacts[t] > artifacts_per_task for t in tasks):
                twice.append(message_id)
        return twice


async def read_ledger(bootstrap: str, topic: str) -> Ledger:
    """Read every task snapshot in ``topic`` up to its current end."""
    ledger = Ledger()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        count = await partition_count({"bootstrap_servers": bootstrap}, topic)
        partitions = [TopicPartition(topic, p) for p in range(count)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)
            for records in batches.values():
                for record in records:
                    _count(ledger, record.value, record.headers)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return ledger


def _count(
    ledger: Ledger, value: bytes | None, headers: Iterable[tuple[str, bytes | None]] | None
) -> None:
    ledger.records += 1
    decoded = decode_headers(headers)
    if not value or decoded.get(_WRITE_KIND) != _SNAPSHOT_KIND:
        return
    try:
        ledger.add(Task.FromString(value), decoded.get(_WRITER, ""))
    except DecodeError:
        return


async def wait_for_ledger(
    bootstrap: str, topic: str, message_ids: Iterable[str], *, timeout: float
) -> Ledger:
    """Read the ledger until every one of ``message_ids`` completed, or ``timeout`` passed."""
    wanted = list(message_ids)
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout
    while True:
        ledger = await read_ledger(bootstrap, topic)
        if not ledger.lost(wanted) or loop.time() > until:
            return ledger
        await asyncio.sleep(1.0)
