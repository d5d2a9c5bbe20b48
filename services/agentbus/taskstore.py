"""``KafkaTaskStore``: task snapshots on the compacted ``agent.tasks`` topic.

Every replica of an agent reads the whole topic in log order and keeps its own
agent's tasks in memory, so any replica answers ``get task`` and ``list tasks``,
and tasks survive restarts. Writes are compare-and-set decided *in the log*: a
snapshot carries the version it was derived from, and every replica applies the
same rule to the same ordered records, so all agree which write won. The writer
waits until its own reader applied its record to learn the outcome (a few ms).
This is the SDK's ``VersionedTaskStore``, which lets one replica cancel a task
another replica runs: the owner's next save is refused and the SDK stops the task.

Record: key = task id, value = the A2A ``Task`` in protobuf binary (a2a.v1.Task;
content-type says so; several times faster than ProtoJSON for snapshots written on
every task event), headers = owning agent, the version the write expects to
replace, and a write id; a tombstone deletes (version 0 means "no task"). Events
use key ``<task id>#events`` and hold an ``a2a.v1.StreamResponse``.

Versions are a per-task counter carried by the writes: a write names the version it
replaces and becomes that plus one if the log accepts it (a cancel becomes the
current version plus one). Every replica applies the same rule in the same order.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from a2a.auth.user import User
from a2a.server.agent_execution.active_task import INTERRUPTED_TASK_STATES, TERMINAL_TASK_STATES
from a2a.server.cluster import (
    ConcurrentTaskModificationError,
    StoredTask,
    TaskEventStream,
    TaskVersion,
    VersionedEvent,
    VersionedTaskStore,
)
from a2a.server.context import ServerCallContext
from a2a.server.events import Event
from a2a.server.owner_resolver import resolve_user_scope
from a2a.server.tasks import InMemoryTaskStore
from a2a.types import ListTasksRequest, ListTasksResponse, Message, StreamResponse, Task, TaskState
from a2a.utils.proto_utils import to_stream_response
from aiokafka import ConsumerRecord
from google.protobuf.message import DecodeError

from agentbus.bus import KafkaBus
from agentbus.logreader import CompactedTopicReader
from agentbus.metrics import get_metrics
from agentbus.names import NEW_TASK_STATE, Headers
from agentbus.wire import decode_headers, now_ms

__all__ = ["KafkaTaskEventStream", "KafkaTaskStore"]

log = logging.getLogger(__name__)

_WRITE_ID = "agentbus-write-id"
_WRITE_KIND = "agentbus-write-kind"
_EVENT_KIND = "event"
_EVENT_KEY_SUFFIX = "#events"
_OWNER = "agentbus-owner"
_CATCH_UP_TIMEOUT_S = 5.0
_SETTLED_STATES = frozenset(TERMINAL_TASK_STATES | INTERRUPTED_TASK_STATES)
"""States a caller may read as the task's answer: their snapshots are waited for."""
TASK_CONTENT_TYPE = "application/x-protobuf; messageType=a2a.v1.Task"
EVENT_CONTENT_TYPE = "application/x-protobuf; messageType=a2a.v1.StreamResponse"


class _Owner(User):
    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def is_authenticated(self) -> bool:
        return bool(self._name)

    @property
    def user_name(self) -> str:
        return self._name


@dataclass(slots=True)
class _Entry:
    owner: str
    version: int
    state: int


class KafkaTaskStore(VersionedTaskStore):
    """The task store of agent ``agent``, shared by all its replicas through Kafka."""

    def __init__(self, bus: KafkaBus, *, agent: str) -> None:
        self.bus = bus
        self.agent = agent
        self.topic = bus.topics.tasks
        self._view = InMemoryTaskStore()
        self._entries: dict[str, _Entry] = {}
        self._writes: dict[str, asyncio.Future[bool]] = {}
        self._reader = CompactedTopicReader(bus, self.topic, self._on_record)
        self._metrics = get_metrics()
        self.event_stream = KafkaTaskEventStream(self)

    # -- VersionedTaskStore ------------------------------------------------------------

    async def save(
        self,
        task: Task,
        *,
        event: Event | None,
        prev: Task | None,
        prev_version: TaskVersion,
        context: ServerCallContext,
    ) -> TaskVersion:
        """Write a snapshot; return its version, or raise if another write won.

        Terminal and interrupted snapshots, which callers read as the answer, and
        cancels wait until the cluster acknowledged them and the log decided them. A
        task's first snapshot waits for the acknowledgement only (a fresh id cannot
        conflict, but a non-blocking caller is told about the task next). Progress in
        between (working, artifacts) is handed to the producer without waiting: the
        snapshots of a task share a partition and an idempotent producer keeps them in
        order, so the next waited-for write proves them durable, and the version chain
        makes the log refuse it if one went missing or lost to a concurrent cancel.
        """
        del event, prev
        # The SDK's contract: a write to CANCELED replaces any non-terminal snapshot
        # without a version check (the replica cancelling may not run the task).
        cancel = task.status.state == TaskState.TASK_STATE_CANCELED
        previous = _version_value(prev_version)
        write_id = uuid.uuid4().hex
        headers = {
            "content-type": TASK_CONTENT_TYPE,
            Headers.AGENT: self.agent,
            Headers.PREV_VERSION: str(previous),
            _OWNER: resolve_user_scope(context),
            _WRITE_ID: write_id,
            _WRITE_KIND: "cancel" if cancel else "cas",
        }
        value = task.SerializeToString()
        if not (cancel or task.status.state in _SETTLED_STATES):
            # A first snapshot cannot conflict (the id was just made), but the caller may
            # be told about the task next: it must be durable. Progress need not wait.
            await self.bus.publish(
                self.topic, value, key=task.id, headers=headers, wait=previous == 0
            )
            return TaskVersion(previous + 1)
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._writes[write_id] = outcome
        started = time.perf_counter()
        try:
            await self.bus.publish(self.topic, value, key=task.id, headers=headers)
            async with asyncio.timeout(_CATCH_UP_TIMEOUT_S):
                accepted = await outcome
        finally:
            self._writes.pop(write_id, None)
        self._metrics.task_writes.labels(self.agent, "accepted" if accepted else "refused").observe(
            time.perf_counter() - started
        )
        if not accepted:
            raise ConcurrentTaskModificationError(task.id)
        return TaskVersion(self._entries[task.id].version)

    async def get(self, task_id: str, context: ServerCallContext) -> StoredTask | None:
        """The latest snapshot of ``task_id`` owned by the caller, or ``None``."""
        entry = self._entries.get(task_id)
        if entry is None:
            if context.state.get(NEW_TASK_STATE):
                return None  # the id was just generated for this request: nobody wrote it yet
            await self.catch_up()
            entry = self._entries.get(task_id)
            if entry is None:
                return None
        task = await self._view.get(task_id, _owner_context(entry.owner))
        if task is None or entry.owner != resolve_user_scope(context):
            return None
        return StoredTask(task, TaskVersion(entry.version))

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        """The caller's tasks, filtered and paged as the SDK's in-memory store does it."""
        return await self._view.list(params, context)

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        """Delete a task everywhere (a tombstone on the compacted topic)."""
        entry = self._entries.get(task_id)
        if entry is None or entry.owner != resolve_user_scope(context):
            return
        await self.bus.publish(
            self.topic, None, key=task_id, headers={Headers.AGENT: self.agent, _OWNER: entry.owner}
        )
        await self.catch_up()

    # -- reading the log ---------------------------------------------------------------

    async def catch_up(self, timeout: float = _CATCH_UP_TIMEOUT_S) -> None:
        """Wait until every snapshot written before this call has been applied here."""
        await self._reader.catch_up(timeout)

    async def _on_record(self, record: ConsumerRecord[Any, Any]) -> None:
        headers = decode_headers(record.headers)
        if headers.get(_WRITE_KIND) == _EVENT_KIND:
            if headers.get(Headers.AGENT) == self.agent:
                self.event_stream.deliver(record, headers)
            return
        accepted = False
        if headers.get(Headers.AGENT) == self.agent and record.key:
            accepted = await self._apply(record, headers)
        waiter = self._writes.get(headers.get(_WRITE_ID, ""))
        if waiter is not None:
            self._metrics.delivery.labels(self.agent, "task-snapshot").observe(
                max(0.0, now_ms() - record.timestamp) / 1000
            )
        if waiter is not None and not waiter.done():
            waiter.set_result(accepted)

    async def _apply(self, record: ConsumerRecord[Any, Any], headers: dict[str, str]) -> bool:
        task_id = record.key.decode(errors="replace")
        current = self._entries.get(task_id)
        owner = headers.get(_OWNER, current.owner if current else "")
        if record.value is None:
            if current is not None:
                await self._view.delete(task_id, _owner_context(current.owner))
                del self._entries[task_id]
            return True
        try:
            prev = int(headers.get(Headers.PREV_VERSION, "0"))
            task = Task.FromString(record.value)
        except (ValueError, DecodeError):
            log.warning("skipping undecodable task snapshot at offset %d", record.offset)
            return False
        if headers.get(_WRITE_KIND) == "cancel":
            accepted = current is not None and current.state not in TERMINAL_TASK_STATES
            version = (current.version if current else 0) + 1
        else:
            accepted = prev == (current.version if current else 0)
            version = prev + 1
        if accepted:
            self._entries[task_id] = _Entry(owner, version, task.status.state)
            await self._view.save(task, _owner_context(owner))
        return accepted


def _owner_context(owner: str) -> ServerCallContext:
    return ServerCallContext(user=_Owner(owner))


def _version_value(version: TaskVersion) -> int:
    if version.is_missing:
        return 0
    return int(version._value)


class KafkaTaskEventStream(TaskEventStream):
    """Task events for replicas that do not run the task (``SubscribeToTask`` anywhere).

    Events ride on the tasks topic under the key ``<task id>#events``; compaction
    keeps only the newest per task, and the snapshot stays the source of truth.
    Publishing does not wait for the acknowledgement: a missed event only delays a
    remote subscriber until the next one, never the task itself.
    """

    def __init__(self, store: KafkaTaskStore) -> None:
        self._store = store
        self._subscribers: dict[str, list[asyncio.Queue[VersionedEvent]]] = {}

    async def publish(self, task_id: str, event: VersionedEvent) -> None:
        """Fan ``event`` out to every replica of the agent."""
        if isinstance(event.event, Message):
            return  # a message-only exchange has no task anyone could resubscribe to
        store = self._store
        await store.bus.publish(
            store.topic,
            to_stream_response(event.event).SerializeToString(),
            key=task_id + _EVENT_KEY_SUFFIX,
            headers={
                "content-type": EVENT_CONTENT_TYPE,
                Headers.AGENT: store.agent,
                _WRITE_KIND: _EVENT_KIND,
                Headers.TASK_VERSION: str(_version_value(event.version)),
            },
            wait=False,
        )

    async def subscribe(
        self, task_id: str, *, after: TaskVersion
    ) -> AsyncGenerator[VersionedEvent, None]:
        """Yield events of ``task_id`` newer than ``after`` as they arrive."""
        queue: asyncio.Queue[VersionedEvent] = asyncio.Queue()
        self._subscribers.setdefault(task_id, []).append(queue)
        try:
            while True:
                versioned = await queue.get()
                if versioned.version.is_after(after):
                    yield versioned
        finally:
            queues = self._subscribers.get(task_id, [])
            if queue in queues:
                queues.remove(queue)
            if not queues:
                self._subscribers.pop(task_id, None)

    async def destroy(self, task_id: str) -> None:
        """Forget the subscribers of a finished task."""
        self._subscribers.pop(task_id, None)

    def deliver(self, record: ConsumerRecord[Any, Any], headers: dict[str, str]) -> None:
        """Hand an event record read from the topic to the task's subscribers."""
        if not record.key or not record.value:
            return
        task_id = record.key.decode(errors="replace").removesuffix(_EVENT_KEY_SUFFIX)
        queues = self._subscribers.get(task_id)
        if not queues:
            return
        try:
            response = StreamResponse.FromString(record.value)
            version = int(headers.get(Headers.TASK_VERSION, "0"))
        except (ValueError, DecodeError):  # an undecodable event is skipped; snapshots rule
            return
        kind = response.WhichOneof("payload")
        if kind is None:
            return
        versioned = VersionedEvent(event=getattr(response, kind), version=TaskVersion(version))
        for queue in queues:
            queue.put_nowait(versioned)
