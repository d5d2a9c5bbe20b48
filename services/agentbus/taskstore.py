"""``KafkaTaskStore``: task snapshots on the compacted ``agent.tasks`` topic.

Every replica of an agent reads the whole topic in log order and keeps its own
agent's tasks in memory, so any replica answers ``get task`` and ``list tasks``,
and tasks survive restarts. Writes are compare-and-set decided *in the log*: a
snapshot names the version it replaces, and every replica applies the same rule to
the same ordered records, so all agree which write won. This is the SDK's
``VersionedTaskStore``, which lets one replica cancel a task another replica runs.

Record: key = task id, value = the A2A ``Task`` in protobuf binary (content-type
says so; several times faster than ProtoJSON for snapshots written on every task
event), headers = owning agent, the version the write replaces, the user scope, the
writing process (its Kafka client id, which is also its identity in the agent's
consumer group) and a write id; a tombstone deletes. A write names the version it
replaces and the one it becomes: a per-task counter with the writer's tag in its low
bits (0 means "no task"); the log accepts it if it replaces the current version
and the task has not ended. A cancel replaces any unfinished snapshot.

The store also indexes every task by the ``messageId`` of the messages in its
history: the idempotency key that lets a redelivered request find the task it
already started instead of starting it again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

from a2a.auth.user import User
from a2a.server.agent_execution.active_task import INTERRUPTED_TASK_STATES, TERMINAL_TASK_STATES
from a2a.server.cluster import (
    ConcurrentTaskModificationError,
    StoredTask,
    TaskVersion,
    VersionedTaskStore,
)
from a2a.server.context import ServerCallContext
from a2a.server.events import Event
from a2a.server.owner_resolver import resolve_user_scope
from a2a.server.tasks import InMemoryTaskStore
from a2a.types import ListTasksRequest, ListTasksResponse, Role, Task, TaskState
from aiokafka import ConsumerRecord
from google.protobuf.message import DecodeError

from agentbus.bus import KafkaBus
from agentbus.errors import BrokerUnavailableError
from agentbus.logreader import CompactedTopicReader
from agentbus.metrics import get_metrics
from agentbus.names import NEW_TASK_STATE, Headers
from agentbus.taskevents import EVENT_KIND, WRITE_KIND, KafkaTaskEventStream
from agentbus.wire import decode_headers, now_ms

__all__ = ["TASK_CONTENT_TYPE", "KafkaTaskStore", "RemoteCancel"]

log = logging.getLogger(__name__)

TASK_CONTENT_TYPE: Final = "application/x-protobuf; messageType=a2a.v1.Task"
_WRITE_ID: Final = "agentbus-write-id"
_OWNER: Final = "agentbus-owner"
_WRITER: Final = "agentbus-writer"
_CATCH_UP_TIMEOUT_S: Final = 5.0
_RETRY_BUDGET_S: Final = 60.0
"""How long task writes ride out an unreachable broker (a restart) before failing."""
_TAG_BITS: Final = 16
_TAG_MASK: Final = (1 << _TAG_BITS) - 1
_SETTLED_STATES: Final = frozenset(TERMINAL_TASK_STATES | INTERRUPTED_TASK_STATES)
"""States a caller may read as the task's answer: their snapshots are waited for."""

RemoteCancel = Callable[[str], Coroutine[Any, Any, None]]
"""Called with a task id when another process cancelled a task this process runs."""


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
    writer: str


class KafkaTaskStore(VersionedTaskStore):
    """The task store of agent ``agent``, shared by all its replicas through Kafka."""

    def __init__(self, bus: KafkaBus, *, agent: str) -> None:
        self.bus = bus
        self.agent = agent
        self.topic = bus.topics.tasks
        self.on_remote_cancel: RemoteCancel | None = None
        self._view = InMemoryTaskStore()
        self._entries: dict[str, _Entry] = {}
        self._by_message: dict[str, str] = {}
        self._running_here: set[str] = set()
        self._writes: dict[str, asyncio.Future[bool]] = {}
        self._terminal: dict[str, list[asyncio.Future[None]]] = {}
        self._reader = CompactedTopicReader(bus, self.topic, self._on_record)
        self._metrics = get_metrics()
        self._tag = zlib.crc32(bus.client_id.encode()) & _TAG_MASK
        self._background: set[asyncio.Task[None]] = set()
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
        previous = 0 if prev_version.is_missing else int(prev_version._value)
        current = self._entries.get(task.id)
        if not cancel and current is not None and current.state in TERMINAL_TASK_STATES:
            # It ended meanwhile (a cancel from another replica): the SDK reloads and stops.
            raise ConcurrentTaskModificationError(task.id)
        version = _next_version(previous, self._tag)
        write_id = uuid.uuid4().hex
        headers = {
            "content-type": TASK_CONTENT_TYPE,
            Headers.AGENT: self.agent,
            Headers.PREV_VERSION: str(previous),
            Headers.TASK_VERSION: str(version),
            _OWNER: resolve_user_scope(context),
            _WRITER: self.bus.client_id,
            _WRITE_ID: write_id,
            WRITE_KIND: "cancel" if cancel else "cas",
        }
        self._remember(task)
        if not (cancel or task.status.state in _SETTLED_STATES):
            # A first snapshot must be durable before a non-blocking caller hears of it;
            # progress need not wait at all.
            await self._publish(task, headers, wait=previous == 0)
            return TaskVersion(version)
        return await self._decided(task, headers, write_id)

    async def _decided(self, task: Task, headers: dict[str, str], write_id: str) -> TaskVersion:
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._writes[write_id] = outcome
        started = time.perf_counter()
        try:
            await self._publish(task, headers, wait=True)
            # Acknowledged, so the log holds it; reading it back may have to wait out a
            # broker restart (the reader reconnects by itself).
            async with asyncio.timeout(_RETRY_BUDGET_S):
                accepted = await outcome
        finally:
            self._writes.pop(write_id, None)
        self._metrics.task_writes.labels(self.agent, "accepted" if accepted else "refused").observe(
            time.perf_counter() - started
        )
        if not accepted:
            raise ConcurrentTaskModificationError(task.id)
        return TaskVersion(self._entries[task.id].version)

    async def _publish(self, task: Task, headers: dict[str, str], *, wait: bool) -> None:
        """Publish a snapshot, riding out a broker restart within a bounded budget."""
        value = task.SerializeToString()
        delay, deadline = 0.1, time.monotonic() + _RETRY_BUDGET_S
        while True:
            try:
                await self.bus.publish(self.topic, value, key=task.id, headers=headers, wait=wait)
            except BrokerUnavailableError:
                if time.monotonic() + delay > deadline:
                    raise
                self._metrics.retries.labels(self.agent, "task-write").inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            else:
                return

    def _remember(self, task: Task) -> None:
        """Track a task this process writes: running here, found by its messages at once."""
        if task.status.state in TERMINAL_TASK_STATES:
            self._running_here.discard(task.id)
        else:
            self._running_here.add(task.id)
        for message in task.history:
            if message.role == Role.ROLE_USER and message.message_id:
                self._by_message.setdefault(message.message_id, task.id)

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

    # -- what agentbus needs beyond the SDK ----------------------------------------------

    async def find_by_message(self, message_id: str) -> tuple[Task, str] | None:
        """The task a message (by ``messageId``) started or continued, and its last writer."""
        if self._reader.lagging():
            await self.catch_up()
        task_id = self._by_message.get(message_id)
        entry = self._entries.get(task_id or "")
        if task_id is None or entry is None:
            return None
        task = await self._view.get(task_id, _owner_context(entry.owner))
        return (task, entry.writer) if task is not None else None

    def running_here(self, task_id: str) -> bool:
        """Whether this process is running the task (wrote it last and not to an end)."""
        return task_id in self._running_here

    async def wait_terminal(self, task_id: str, timeout: float | None) -> Task | None:
        """Wait until the task reaches a terminal state; return it (``None`` on timeout)."""
        entry = self._entries.get(task_id)
        if entry is None or entry.state not in TERMINAL_TASK_STATES:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._terminal.setdefault(task_id, []).append(waiter)
            try:
                async with asyncio.timeout(timeout):
                    await waiter
            except TimeoutError:
                return None
            finally:
                waiters = self._terminal.get(task_id, [])
                if waiter in waiters:
                    waiters.remove(waiter)
                if not waiters:
                    self._terminal.pop(task_id, None)
            entry = self._entries[task_id]
        return await self._view.get(task_id, _owner_context(entry.owner))

    # -- reading the log ---------------------------------------------------------------

    async def catch_up(self, timeout: float = _CATCH_UP_TIMEOUT_S) -> None:
        """Wait until every snapshot written before this call has been applied here.

        Raises:
            BrokerUnavailableError: not caught up within ``timeout`` seconds, as after a
                broker restart while the reader reconnects: transient, so a request
                that needs the log is handled again later rather than failed.
        """
        try:
            await self._reader.catch_up(timeout)
        except TimeoutError as exc:
            raise BrokerUnavailableError(
                f"the task log {self.topic} was not read to its end within {timeout:g} s"
            ) from exc

    async def _on_record(self, record: ConsumerRecord[Any, Any]) -> None:
        headers = decode_headers(record.headers)
        if headers.get(WRITE_KIND) == EVENT_KIND:
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
            if not waiter.done():
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
        cancel = headers.get(WRITE_KIND) == "cancel"
        writer = headers.get(_WRITER, "")
        ended = current is not None and current.state in TERMINAL_TASK_STATES
        if cancel:
            # Replaces any unfinished snapshot; numbered after it, so no writer's chain
            # can continue from it by accident.
            accepted = current is not None and not ended
            tag = zlib.crc32(writer.encode()) & _TAG_MASK
            version = _next_version(current.version if current else 0, tag)
        else:
            # A task never leaves an end state; otherwise the writer must have read the
            # snapshot it replaces.
            accepted = not ended and prev == (current.version if current else 0)
            version = int(headers.get(Headers.TASK_VERSION, "0") or 0) or prev + 1
        if accepted:
            await self._accept(task, owner, version, writer, cancel)
        return accepted

    async def _accept(
        self, task: Task, owner: str, version: int, writer: str, cancel: bool
    ) -> None:
        self._entries[task.id] = _Entry(owner, version, task.status.state, writer)
        await self._view.save(task, _owner_context(owner))
        for message in task.history:
            if message.role == Role.ROLE_USER and message.message_id:
                self._by_message.setdefault(message.message_id, task.id)
        if task.status.state in TERMINAL_TASK_STATES:
            for waiter in self._terminal.pop(task.id, []):
                if not waiter.done():
                    waiter.set_result(None)
            remote = cancel and writer != self.bus.client_id
            if remote and task.id in self._running_here and self.on_remote_cancel is not None:
                self._running_here.discard(task.id)
                # Not awaited here: stopping the executor writes snapshots, and this
                # reader has to go on applying them.
                stop: asyncio.Task[None] = asyncio.create_task(self.on_remote_cancel(task.id))
                self._background.add(stop)
                stop.add_done_callback(self._background.discard)


def _next_version(previous: int, tag: int) -> int:
    """The version after ``previous`` written by the process with ``tag``.

    A counter in the high bits orders versions; the writer's tag in the low bits
    keeps two writers that both continue from one version from claiming the same
    number (a cancel from another replica and the owner's next progress write).
    """
    return ((previous >> _TAG_BITS) + 1) << _TAG_BITS | tag


def _owner_context(owner: str) -> ServerCallContext:
    return ServerCallContext(user=_Owner(owner))
