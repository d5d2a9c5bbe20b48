"""``KafkaConsumerHandler``: serves one a2a-sdk ``AgentExecutor`` from Kafka.

Requests are read from ``agent.<name>.requests`` and ``agent.broadcast`` in the
consumer group ``<name>``, so replicas of an agent share its partitions and every
agent sees each broadcast once. Each record goes through the SDK's
own JSON-RPC dispatcher and request handler, the very code that serves the HTTP
binding, and the answer goes back to the caller's inbox. Records of different
conversations run concurrently, records of one conversation (same key) in order;
an offset is committed only once every record below it has been answered and the
answer acknowledged by the cluster (at-least-once).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from a2a.server.agent_execution import AgentExecutor
from a2a.server.cluster import VersionedTaskStore
from a2a.server.context import ServerCallContext
from a2a.server.request_handlers import DefaultRequestHandler, RequestHandler
from a2a.server.routes.common import DefaultServerCallContextBuilder
from a2a.server.routes.jsonrpc_dispatcher import JsonRpcDispatcher
from a2a.server.tasks import InMemoryPushNotificationConfigStore, TaskStore
from a2a.types import AgentCard
from aiokafka import ConsumerRecord
from aiokafka import TopicPartition as AioTopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from faststream.middlewares import AckPolicy
from opentelemetry.trace import SpanKind
from sse_starlette.sse import EventSourceResponse
from starlette.requests import Request

from agentbus.bus import KafkaBus
from agentbus.errors import BrokerUnavailableError
from agentbus.metrics import get_metrics
from agentbus.names import NEW_TASK_STATE, Headers, validate_agent_name
from agentbus.ordering import KeyedSequencer
from agentbus.progress import PartitionProgress
from agentbus.provisioning import agent_topic_specs
from agentbus.tracing import extract_context, get_tracer, inject_context
from agentbus.wire import (
    deadline_error_response,
    decode_headers,
    error_response,
    now_ms,
    request_id_of,
)

__all__ = ["KafkaCallContextBuilder", "KafkaConsumerHandler", "make_request_handler"]

log = logging.getLogger(__name__)

_COMMIT_INTERVAL_S = 0.2

_DRAIN_TIMEOUT_S = 30.0


def make_request_handler(
    executor: AgentExecutor, agent_card: AgentCard, task_store: TaskStore | VersionedTaskStore
) -> DefaultRequestHandler:
    """The SDK's request handler for ``executor``, with cross-replica events if the store has them.

    One handler serves both transports of a process, so a task started over HTTP is
    the same task over Kafka.
    """
    return DefaultRequestHandler(
        agent_executor=executor,
        task_store=task_store,
        agent_card=agent_card,
        push_config_store=InMemoryPushNotificationConfigStore(),
        event_stream=getattr(task_store, "event_stream", None),
    )


class KafkaCallContextBuilder(DefaultServerCallContextBuilder):
    """Builds the SDK's call context for a Kafka record, with its transport facts."""

    def build(self, request: Request) -> ServerCallContext:
        """The SDK's context plus ``state['kafka']``: topic, partition, offset, sender."""
        context = super().build(request)
        kafka = request.scope.get("state", {}).get("kafka", {})
        context.state["kafka"] = kafka
        context.state[NEW_TASK_STATE] = kafka.get("new_task", False)
        return context


class KafkaConsumerHandler:
    """Serves ``executor`` as agent ``agent_name`` from its Kafka request topic."""

    def __init__(
        self,
        agent_name: str,
        executor: AgentExecutor,
        *,
        bus: KafkaBus,
        agent_card: AgentCard,
        task_store: TaskStore | VersionedTaskStore | None = None,
        request_handler: RequestHandler | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self.agent_name = validate_agent_name(agent_name)
        self.bus = bus
        self.topic = bus.topics.requests(agent_name)
        settings = bus.settings
        if request_handler is None:
            from agentbus.taskstore import KafkaTaskStore  # noqa: PLC0415

            store = task_store or KafkaTaskStore(bus, agent=agent_name)
            request_handler = make_request_handler(executor, agent_card, store)
        self.request_handler = request_handler
        self._dispatcher = JsonRpcDispatcher(
            request_handler, context_builder=KafkaCallContextBuilder()
        )
        self._metrics = get_metrics()
        self._limit = max_in_flight or settings.calls.max_in_flight
        self._slots = asyncio.Semaphore(self._limit)
        self._sequencer = KeyedSequencer()
        self._progress: dict[AioTopicPartition, PartitionProgress] = {}
        self._last_read: dict[AioTopicPartition, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._joined = asyncio.Event()
        self._commit_wakeup = asyncio.Event()
        self._commit_task: asyncio.Task[None] | None = None
        self._stopping = False
        bus.need_topics(agent_topic_specs(settings, agent_name))
        k = settings.kafka
        self.broadcast_topic = bus.topics.broadcast
        self._subscriber = bus.subscriber(
            self.topic,
            self.broadcast_topic,
            group_id=agent_name,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            listener=_Rebalance(self),
            session_timeout_ms=k.session_timeout_ms,
            heartbeat_interval_ms=k.heartbeat_interval_ms,
            max_poll_interval_ms=k.max_poll_interval_ms,
            fetch_max_wait_ms=k.fetch_max_wait_ms,
            max_partition_fetch_bytes=k.max_request_bytes + 64 * 1024,
        )
        self._subscriber(self._on_message)
        self._metrics.add_lag_source(self._lag)

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def assigned(self) -> set[AioTopicPartition]:
        """Partitions of the request topic this process owns now."""
        return set(self._progress)

    @property
    def joined(self) -> bool:
        """Whether this process joined the agent's consumer group at least once."""
        return self._joined.is_set()

    @property
    def in_flight(self) -> int:
        """Requests being processed now."""
        return self._limit - self._slots._value

    async def wait_joined(self, timeout: float = 30.0) -> None:
        """Wait until the group assigned this process its partitions."""
        async with asyncio.timeout(timeout):
            await self._joined.wait()

    def start_background(self) -> None:
        """Start the periodic offset committer (called once the bus is started)."""
        if self._commit_task is None:
            self._commit_task = asyncio.create_task(self._commit_loop(), name="agentbus-commit")

    async def drain(self, timeout: float = _DRAIN_TIMEOUT_S) -> None:
        """Stop taking requests, let those in flight finish, commit what is done."""
        self._stopping = True
        consumer = self._subscriber.consumer
        if consumer is not None:
            with contextlib.suppress(Exception):
                consumer.pause(*consumer.assignment())
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
        await self._commit(list(self._progress))
        if self._commit_task is not None:
            self._commit_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._commit_task
        self._metrics.remove_lag_source(self._lag)
        close = getattr(self.request_handler, "aclose", None)
        if close is not None:
            await close()

    # -- intake ------------------------------------------------------------------------

    async def _on_message(self, record: ConsumerRecord[Any, Any]) -> None:
        self._metrics.delivery.labels(self.agent_name, "request").observe(
            max(0.0, now_ms() - record.timestamp) / 1000
        )
        tp = AioTopicPartition(record.topic, record.partition)
        self._last_read[tp] = record.offset
        progress = self._progress.get(tp)
        if progress is None:  # assignment callback not seen yet; track anyway
            progress = self._progress[tp] = PartitionProgress()
        await self._slots.acquire()
        progress.start(record.offset)
        reservation = self._sequencer.reserve(record.key)
        self._metrics.in_flight.labels(self.agent_name).inc()
        task = asyncio.create_task(self._run(record, progress, reservation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self,
        record: ConsumerRecord[Any, Any],
        progress: PartitionProgress,
        reservation: tuple[asyncio.Future[None] | None, asyncio.Future[None]],
    ) -> None:
        try:
            async with self._sequencer.turn(reservation):
                await self._handle(record)
            progress.finish(record.offset)
            self._commit_wakeup.set()
        except asyncio.CancelledError:
            log.warning(
                "request at %s[%d]@%d interrupted by shutdown; it will be redelivered",
                record.topic,
                record.partition,
                record.offset,
            )
            raise
        except Exception:
            # _handle answers every request; reaching here means the reply could not be
            # published even after retries. Leave the offset uncommitted: redelivered.
            log.exception(
                "request at %s[%d]@%d could not be answered; it will be redelivered",
                record.topic,
                record.partition,
                record.offset,
            )
            self._metrics.errors.labels(self.agent_name, "unanswered").inc()
        finally:
            self._slots.release()
            self._metrics.in_flight.labels(self.agent_name).dec()

    # -- one request -------------------------------------------------------------------

    async def _handle(self, record: ConsumerRecord[Any, Any]) -> None:
        headers = decode_headers(record.headers)
        if record.topic == self.broadcast_topic and not self._addressed(headers):
            return
        method = headers.get(Headers.METHOD, "unknown")
        started = time.perf_counter()
        target = await self._reply_target(headers, record)
        if target is None:
            self._metrics.requests.labels(self.agent_name, method, "kafka", "unroutable").inc()
            return
        value: bytes = record.value or b""
        parent = extract_context(headers)
        with get_tracer().start_as_current_span(
            f"process {record.topic}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": record.topic,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
                "messaging.consumer.group.name": self.agent_name,
                "rpc.method": method,
                "agentbus.sender": headers.get(Headers.SENDER, ""),
            },
        ):
            outcome = await self._answer(record, headers, value, target)
        self._metrics.requests.labels(self.agent_name, method, "kafka", outcome).inc()
        self._metrics.request_duration.labels(self.agent_name, method, "kafka").observe(
            time.perf_counter() - started
        )

    async def _answer(
        self,
        record: ConsumerRecord[Any, Any],
        headers: dict[str, str],
        value: bytes,
        target: tuple[str, int | None, str],
    ) -> str:
        limit = self.bus.settings.kafka.max_request_bytes
        if len(value) > limit:
            body = error_response(
                None, -32600, f"Payload too large: {len(value)} bytes, the limit is {limit}"
            )
            await self._reply(target, json.dumps(body).encode(), 0, final=True)
            return "rejected"
        deadline = _int_or_none(headers.get(Headers.DEADLINE))
        if deadline is not None and (late := now_ms() - deadline) > 0:
            rid = _request_id(value)
            body = deadline_error_response(rid, self.agent_name, late)
            await self._reply(target, json.dumps(body).encode(), 0, final=True)
            return "deadline"
        response = await self._dispatcher.handle_requests(_as_http_request(record, headers))
        if isinstance(response, EventSourceResponse):
            sequence = 0
            outcome = "ok"
            async for event in _events(response):
                final = event.get("event") == "error"
                if final:
                    outcome = "error"
                await self._reply(target, str(event["data"]).encode(), sequence, final=final)
                sequence += 1
                if final:
                    return outcome
            await self._reply(target, None, sequence, final=True)
            return outcome
        body_bytes = bytes(response.body)
        await self._reply(target, body_bytes, 0, final=True)
        return "error" if b'"error"' in body_bytes[:64] else "ok"

    def _addressed(self, headers: dict[str, str]) -> bool:
        """Whether a broadcast names this agent among those that should answer."""
        expected = headers.get(Headers.EXPECTED)
        if not expected:
            return True
        return self.agent_name in {name.strip() for name in expected.split(",")}

    async def _reply_target(
        self, headers: dict[str, str], record: ConsumerRecord[Any, Any]
    ) -> tuple[str, int | None, str] | None:
        topic = headers.get(Headers.REPLY_TOPIC, "")
        correlation = headers.get(Headers.CORRELATION_ID, "")
        if self.bus.topics.agent_of_responses(topic) is None or not correlation:
            log.warning(
                "request at %s[%d]@%d has no valid %s/%s header; nobody can be answered",
                record.topic,
                record.partition,
                record.offset,
                Headers.REPLY_TOPIC,
                Headers.CORRELATION_ID,
            )
            self._metrics.errors.labels(self.agent_name, "unroutable").inc()
            return None
        if not await self.bus.topic_exists(topic):
            log.warning(
                "reply topic %s of request at offset %d does not exist", topic, record.offset
            )
            self._metrics.errors.labels(self.agent_name, "unroutable").inc()
            return None
        partition = _int_or_none(headers.get(Headers.REPLY_PARTITION))
        return topic, partition if partition is not None and partition >= 0 else None, correlation

    async def _reply(
        self,
        target: tuple[str, int | None, str],
        value: bytes | None,
        sequence: int,
        *,
        final: bool,
    ) -> None:
        topic, partition, correlation = target
        headers = {
            Headers.CORRELATION_ID: correlation,
            Headers.SEQUENCE: str(sequence),
            Headers.FINAL: "1" if final else "0",
            Headers.SENDER: self.agent_name,
            Headers.SENDER_INSTANCE: self.bus.instance_id,
        }
        inject_context(headers)
        delay = 0.05
        while True:
            try:
                await self.bus.publish(
                    topic, value, key=correlation, headers=headers, partition=partition
                )
            except AssertionError:
                # aiokafka refuses a partition the topic does not have: let Kafka pick.
                partition = None
            except BrokerUnavailableError:
                if self._stopping:
                    raise
                self._metrics.retries.labels(self.agent_name, "reply").inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                return

    # -- offsets -----------------------------------------------------------------------

    async def _commit_loop(self) -> None:
        while True:
            await self._commit_wakeup.wait()
            self._commit_wakeup.clear()
            await self._commit(list(self._progress))
            await asyncio.sleep(_COMMIT_INTERVAL_S)

    async def _commit(self, partitions: list[AioTopicPartition]) -> None:
        consumer = self._subscriber.consumer
        if consumer is None:
            return
        offsets: dict[AioTopicPartition, int] = {}
        for tp in partitions:
            progress = self._progress.get(tp)
            if progress is not None and (offset := progress.committable()) is not None:
                offsets[tp] = offset
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (KafkaError, AssertionError) as exc:
            self._metrics.retries.labels(self.agent_name, "commit").inc()
            log.warning("committing offsets %s failed (%r); will retry", offsets, exc)
            self._commit_wakeup.set()
            return
        for tp, offset in offsets.items():
            if (progress := self._progress.get(tp)) is not None:
                progress.mark_committed(offset)

    async def _on_revoked(self, revoked: set[AioTopicPartition]) -> None:
        mine = [tp for tp in revoked if tp in self._progress]
        busy = [t for t in self._tasks if not t.done()]
        if busy and any(self._progress[tp].in_flight for tp in mine):
            # Finish what we started so the next owner does not redo it.
            await asyncio.wait(busy, timeout=_DRAIN_TIMEOUT_S)
        await self._commit(mine)
        for tp in mine:
            self._progress.pop(tp, None)
            self._last_read.pop(tp, None)

    def _on_assigned(self, assigned: set[AioTopicPartition]) -> None:
        for tp in assigned:
            self._progress.setdefault(tp, PartitionProgress())
        self._joined.set()
        log.info(
            "agent %s owns partitions %s of %s",
            self.agent_name,
            sorted(tp.partition for tp in self._progress),
            self.topic,
        )

    def _lag(self) -> Iterator[tuple[str, str, int, int]]:
        consumer = self._subscriber.consumer
        if consumer is None:
            return
        for tp in list(self._progress):
            with contextlib.suppress(Exception):
                high = consumer.highwater(tp)
                if high is not None:
                    read = self._last_read.get(tp, -1) + 1
                    yield self.agent_name, tp.topic, tp.partition, max(0, high - read)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, handler: KafkaConsumerHandler) -> None:
        self._handler = handler

    async def on_partitions_revoked(self, revoked: set[AioTopicPartition]) -> None:
        await self._handler._on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[AioTopicPartition]) -> None:
        self._handler._on_assigned(assigned)


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _request_id(value: bytes) -> str | int | None:
    try:
        return request_id_of(json.loads(value))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _starts_a_new_task(body: bytes) -> bool:
    """Whether ``body`` is a send whose message names no task: every task id it meets is new."""
    try:
        request = json.loads(body)
        if request.get("method") not in {"SendMessage", "SendStreamingMessage"}:
            return False
        return not request["params"]["message"].get("taskId")
    except (ValueError, TypeError, KeyError, AttributeError):
        return False


def _as_http_request(record: ConsumerRecord[Any, Any], headers: dict[str, str]) -> Request:
    """The record as the Starlette request the SDK's JSON-RPC dispatcher expects."""
    body: bytes = record.value or b""
    raw_headers = [
        (k.lower().encode("latin-1", errors="replace"), (v or b"")) for k, v in record.headers or ()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "kafka",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": raw_headers,
        "client": None,
        "server": None,
        "state": {
            "kafka": {
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "sender": headers.get(Headers.SENDER, ""),
                "sender_instance": headers.get(Headers.SENDER_INSTANCE, ""),
                "new_task": _starts_a_new_task(body),
                "deadline_ms": _int_or_none(headers.get(Headers.DEADLINE)),
            }
        },
    }
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


async def _events(response: EventSourceResponse) -> AsyncIterator[dict[str, Any]]:
    """The SSE events of a streaming response, as the dispatcher produced them."""
    async for event in response.body_iterator:
        if isinstance(event, dict):
            yield event
        else:  # pragma: no cover - the SDK always yields dicts
            yield {"data": event}
