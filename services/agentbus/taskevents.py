"""Task events for replicas that do not run the task (``SubscribeToTask`` anywhere).

Events ride on ``agent.tasks`` under the key ``<task id>#events`` (protobuf
``a2a.v1.StreamResponse``); compaction keeps only the newest per task, and the
snapshot stays the source of truth. Publishing does not wait for the
acknowledgement: a missed event only delays a remote subscriber until the next one,
never the task itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, Final

from a2a.server.cluster import TaskEventStream, TaskVersion, VersionedEvent
from a2a.types import Message, StreamResponse
from a2a.utils.proto_utils import to_stream_response
from aiokafka import ConsumerRecord
from google.protobuf.message import DecodeError

from agentbus.names import Headers

if TYPE_CHECKING:
    from agentbus.taskstore import KafkaTaskStore

__all__ = ["EVENT_CONTENT_TYPE", "EVENT_KEY_SUFFIX", "EVENT_KIND", "KafkaTaskEventStream"]

EVENT_CONTENT_TYPE: Final = "application/x-protobuf; messageType=a2a.v1.StreamResponse"
EVENT_KEY_SUFFIX: Final = "#events"
EVENT_KIND: Final = "event"
WRITE_KIND: Final = "agentbus-write-kind"


class KafkaTaskEventStream(TaskEventStream):
    """The SDK's cross-replica event stream, over the tasks topic."""

    def __init__(self, store: KafkaTaskStore) -> None:
        self._store = store
        self._subscribers: dict[str, list[asyncio.Queue[VersionedEvent]]] = {}

    async def publish(self, task_id: str, event: VersionedEvent) -> None:
        """Fan ``event`` out to every replica of the agent."""
        if isinstance(event.event, Message):
            return  # a message-only exchange has no task anyone could resubscribe to
        store = self._store
        version = 0 if event.version.is_missing else int(event.version._value)
        await store.bus.publish(
            store.topic,
            to_stream_response(event.event).SerializeToString(),
            key=task_id + EVENT_KEY_SUFFIX,
            headers={
                "content-type": EVENT_CONTENT_TYPE,
                Headers.AGENT: store.agent,
                WRITE_KIND: EVENT_KIND,
                Headers.TASK_VERSION: str(version),
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
        task_id = record.key.decode(errors="replace").removesuffix(EVENT_KEY_SUFFIX)
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
