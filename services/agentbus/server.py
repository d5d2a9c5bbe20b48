"""``KafkaConsumerHandler``: serves one a2a-sdk ``AgentExecutor`` from Kafka.

Requests are read from ``agent.<name>.requests`` and ``agent.broadcast`` in the
consumer group ``<name>``, so replicas of an agent share its partitions and every
agent sees each broadcast once. Each valid record goes through the SDK's own
JSON-RPC dispatcher and request handler, the very code that serves the HTTP
binding, and the answer goes back to the caller's inbox. Records that cannot be
processed are answered at once and copied to the dead-letter topic. Conversations
(record key) run concurrently, one conversation in order. Delivery is
at-least-once, and the A2A ``messageId`` makes redelivery harmless: a request whose
task already ended gets the stored result, one whose task runs on a live replica is
not started again, and one whose replica died is resumed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from a2a.server.agent_execution import AgentExecutor
from a2a.server.agent_execution.active_task import TERMINAL_TASK_STATES
from a2a.server.cluster import VersionedTaskStore
from a2a.server.context import ServerCallContext
from a2a.server.request_handlers import DefaultRequestHandler, RequestHandler
from a2a.server.routes.common import DefaultServerCallContextBuilder
from a2a.server.routes.jsonrpc_dispatcher import JsonRpcDispatcher
from a2a.server.tasks import InMemoryPushNotificationConfigStore, TaskStore
from a2a.types import AgentCard, Task
from a2a.utils.constants import PROTOCOL_VERSION_CURRENT
from aiokafka import ConsumerRecord
from aiokafka import TopicPartition as AioTopicPartition
from faststream.middlewares import AckPolicy
from google.protobuf.json_format import MessageToDict
from opentelemetry.trace import SpanKind
from sse_starlette.sse import EventSourceResponse
from starlette.requests import Request as HttpRequest

from agentbus.bus import KafkaBus
from agentbus.deadletter import DeadLetters
from agentbus.intake import SEND_METHODS, Problem, Request, read_request
from agentbus.metrics import get_metrics
from agentbus.names import NEW_TASK_STATE, Headers, validate_agent_name
from agentbus.offsets import OffsetTracker
from agentbus.ordering import KeyedSequencer
from agentbus.progress import PartitionProgress
from agentbus.provisioning import agent_topic_specs
from agentbus.replies import Replier, ReplyTarget
from agentbus.taskstore import KafkaTaskStore
from agentbus.tracing import extract_context, get_tracer
from agentbus.wire import deadline_error_response, decode_headers, error_response, now_ms

__all__ = ["KafkaCallContextBuilder", "KafkaConsumerHandler", "make_request_handler"]

log = logging.getLogger(__name__)

_DRAIN_TIMEOUT_S = 30.0
_OWNER_CHECK_S = 5.0


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

    def build(self, request: HttpRequest) -> ServerCallContext:
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
        task_store: KafkaTaskStore | None = None,
        request_handler: RequestHandler | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self.agent_name = validate_agent_name(agent_name)
        self.bus = bus
        self.topic = bus.topics.requests(agent_name)
        self.broadcast_topic = bus.topics.broadcast
        settings = bus.settings
        self.task_store = task_store or KafkaTaskStore(bus, agent=agent_name)
        self.task_store.on_remote_cancel = self._stop_cancelled
        self.request_handler = request_handler or make_request_handler(
            executor, agent_card, self.task_store
        )
        self._dispatcher = JsonRpcDispatcher(
            self.request_handler, context_builder=KafkaCallContextBuilder()
        )
        self._metrics = get_metrics()
        self._dlq = DeadLetters(bus, agent_name)
        self._replier = Replier(bus, agent_name)
        self._limit = max_in_flight or settings.calls.max_in_flight
        self._slots = asyncio.Semaphore(self._limit)
        self._sequencer = KeyedSequencer()
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: set[asyncio.Task[None]] = set()
        bus.need_topics(agent_topic_specs(settings, agent_name))
        k = settings.kafka
        self.offsets = OffsetTracker(
            agent_name, lambda: self._subscriber.consumer, self._metrics, before_revoke=self._drain
        )
        self._subscriber = bus.subscriber(
            self.topic,
            self.broadcast_topic,
            group_id=agent_name,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            listener=self.offsets,
            session_timeout_ms=k.session_timeout_ms,
            heartbeat_interval_ms=k.heartbeat_interval_ms,
            max_poll_interval_ms=k.max_poll_interval_ms,
            fetch_max_wait_ms=k.fetch_max_wait_ms,
            max_partition_fetch_bytes=k.max_request_bytes + 64 * 1024,
        )
        self._subscriber(self._on_message)
        self._metrics.add_lag_source(self.offsets.lag)

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def assigned(self) -> set[AioTopicPartition]:
        """Partitions this process owns now."""
        return set(self.offsets.progress)

    @property
    def joined(self) -> bool:
        """Whether this process joined the agent's consumer group at least once."""
        return self.offsets.joined.is_set()

    async def wait_joined(self, timeout: float = 30.0) -> None:
        """Wait until the group assigned this process its partitions."""
        async with asyncio.timeout(timeout):
            await self.offsets.joined.wait()

    def start_background(self) -> None:
        """Start the periodic offset committer (called once the bus is started)."""
        self.offsets.start()

    async def drain(self, timeout: float = _DRAIN_TIMEOUT_S) -> None:
        """Stop taking requests, let those in flight finish, commit what is settled.

        Requests whose tasks still run on after their reply stay uncommitted: the next
        owner of their partition resumes them.
        """
        self._replier.stopping = True
        consumer = self._subscriber.consumer
        if consumer is not None:
            with contextlib.suppress(Exception):
                consumer.pause(*consumer.assignment())
        await self._drain(set(self.offsets.progress), timeout=timeout)
        for task in self._held:
            task.cancel()
        await self.offsets.stop()
        self._metrics.remove_lag_source(self.offsets.lag)
        close = getattr(self.request_handler, "aclose", None)
        if close is not None:
            await close()

    async def _drain(
        self, partitions: set[AioTopicPartition], timeout: float = _DRAIN_TIMEOUT_S
    ) -> None:
        """Wait (bounded) for the requests being answered; cancel what is left."""
        del partitions  # answers are short; finishing all of them is simplest and fair
        busy = [t for t in self._tasks if not t.done()]
        if busy:
            _, pending = await asyncio.wait(busy, timeout=timeout)
            for task in pending:
                task.cancel()

    # -- intake ------------------------------------------------------------------------

    async def _on_message(self, record: ConsumerRecord[Any, Any]) -> None:
        self._metrics.delivery.labels(self.agent_name, "request").observe(
            max(0.0, now_ms() - record.timestamp) / 1000
        )
        await self._slots.acquire()
        progress = self.offsets.read(record.topic, record.partition, record.offset)
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
                held = await self._handle(record)
        except asyncio.CancelledError:
            log.warning(
                "request %s[%d]@%d interrupted; it will be redelivered",
                record.topic,
                record.partition,
                record.offset,
            )
            raise
        except Exception:
            log.exception(
                "request %s[%d]@%d could not be answered; it will be redelivered",
                record.topic,
                record.partition,
                record.offset,
            )
            self._metrics.errors.labels(self.agent_name, "unanswered").inc()
        else:
            if held is None:
                self.offsets.settle(progress, record.offset)
            else:
                hold = asyncio.create_task(self._settle_when_done(held, progress, record.offset))
                self._held.add(hold)
                hold.add_done_callback(self._held.discard)
        finally:
            self._slots.release()
            self._metrics.in_flight.labels(self.agent_name).dec()

    async def _settle_when_done(
        self, task_id: str, progress: PartitionProgress, offset: int
    ) -> None:
        """Commit a non-blocking send only once its task ended (else it is resumed)."""
        await self.task_store.wait_terminal(task_id, None)
        self.offsets.settle(progress, offset)

    # -- one request -------------------------------------------------------------------

    async def _handle(self, record: ConsumerRecord[Any, Any]) -> str | None:
        """Answer one record; return the id of a task still running after the answer."""
        headers = decode_headers(record.headers)
        if record.topic == self.broadcast_topic and not self._addressed(headers):
            return None
        started = time.perf_counter()
        parsed = read_request(record.value, limit=self.bus.settings.kafka.max_request_bytes)
        method = parsed.method if isinstance(parsed, Request) else "invalid"
        target = await self._replier.target(headers, record)
        if target is None:
            await self._dlq.send(
                record,
                reason="unroutable",
                code=-32600,
                message=f"no valid {Headers.REPLY_TOPIC}/{Headers.CORRELATION_ID} headers",
            )
            self._count(method, "unroutable", started)
            return None
        if isinstance(parsed, Problem):
            await self._replier.send_json(
                target, error_response(parsed.request_id, parsed.code, parsed.message)
            )
            await self._dlq.send(
                record, reason=parsed.reason, code=parsed.code, message=parsed.message
            )
            self._count(method, "rejected", started)
            return None
        deadline = _int_or_none(headers.get(Headers.DEADLINE))
        if deadline is not None and (late := now_ms() - deadline) > 0:
            # Counted first, so whoever gets the reply also sees it in /metrics.
            self._count(method, "deadline", started)
            await self._replier.send_json(
                target, deadline_error_response(parsed.request_id, self.agent_name, late)
            )
            return None
        with get_tracer().start_as_current_span(
            f"process {record.topic}",
            context=extract_context(headers),
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
            outcome, held = await self._answer(record, headers, parsed, target)
        self._count(method, outcome, started)
        return held

    def _count(self, method: str, outcome: str, started: float) -> None:
        self._metrics.requests.labels(self.agent_name, method, "kafka", outcome).inc()
        self._metrics.request_duration.labels(self.agent_name, method, "kafka").observe(
            time.perf_counter() - started
        )

    def _addressed(self, headers: dict[str, str]) -> bool:
        """Whether a broadcast names this agent among those that should answer."""
        expected = headers.get(Headers.EXPECTED)
        if not expected:
            return True
        return self.agent_name in {name.strip() for name in expected.split(",")}

    async def _answer(
        self,
        record: ConsumerRecord[Any, Any],
        headers: dict[str, str],
        request: Request,
        target: ReplyTarget,
    ) -> tuple[str, str | None]:
        body = record.value or b""
        if request.method in SEND_METHODS and request.message_id:
            repeat = await self._repeat(request, target)
            if isinstance(repeat, tuple):
                return repeat
            if repeat is not None:
                body = _resumed(request, repeat)
        response = await self._dispatcher.handle_requests(_as_http_request(record, headers, body))
        if isinstance(response, EventSourceResponse):
            return await self._stream(response, target), None
        raw = bytes(response.body)
        await self._replier.send(target, raw, 0, final=True)
        if b'"error"' in raw[:64]:
            return "error", None
        return "ok", _running_task_id(raw) if request.non_blocking else None

    async def _stream(self, response: EventSourceResponse, target: ReplyTarget) -> str:
        sequence, outcome = 0, "ok"
        async for event in _events(response):
            final = event.get("event") == "error"
            await self._replier.send(target, str(event["data"]).encode(), sequence, final=final)
            sequence += 1
            if final:
                return "error"
        await self._replier.send(target, b"", sequence, final=True)
        return outcome

    # -- redelivery ----------------------------------------------------------------------

    async def _repeat(
        self, request: Request, target: ReplyTarget
    ) -> tuple[str, str | None] | str | None:
        """Handle a send whose ``messageId`` already started a task.

        Returns ``None`` for a first delivery; (outcome, held task) once answered: an
        ended task from the store, a task still running on a live replica (this one or
        another) waited for, never started twice; or the id of a task whose replica is
        gone, for the caller to resume here.
        """
        assert request.message_id is not None  # noqa: S101 - checked by the caller
        found = await self.task_store.find_by_message(request.message_id)
        if found is None:
            return None
        task, writer = found
        self._metrics.dedup_hits.labels(self.agent_name).inc()
        if task.status.state not in TERMINAL_TASK_STATES:
            if not await self._alive(task.id, writer):
                log.info("resuming task %s: the replica that ran it is gone", task.id)
                return task.id
            if request.non_blocking:
                await self._reply_task(request, target, task)
                return "duplicate", task.id
            ended = await self._wait_for(task.id, writer)
            if ended is None:
                return task.id
            task = ended
        await self._reply_task(request, target, task)
        return "duplicate", None

    async def _alive(self, task_id: str, writer: str) -> bool:
        """Whether the process that last wrote the task can still finish it."""
        if writer == self.bus.client_id:
            return self.task_store.running_here(task_id)
        members = await self.bus.group_members(self.agent_name)
        return members is None or writer in members

    async def _wait_for(self, task_id: str, writer: str) -> Task | None:
        """Wait for a task another live replica runs; ``None`` once that replica is gone."""
        while True:
            ended = await self.task_store.wait_terminal(task_id, _OWNER_CHECK_S)
            if ended is not None:
                return ended
            if not await self._alive(task_id, writer):
                return None

    async def _reply_task(self, request: Request, target: ReplyTarget, task: Task) -> None:
        result = {"task": MessageToDict(task)}
        body = {"jsonrpc": "2.0", "id": request.request_id, "result": result}
        if request.streaming:
            await self._replier.send_stream(target, [body])
        else:
            await self._replier.send_json(target, body)

    async def _stop_cancelled(self, task_id: str) -> None:
        """Another replica cancelled a task running here: stop its executor now."""
        registry = getattr(self.request_handler, "_active_task_registry", None)
        active = await registry.get(task_id) if registry is not None else None
        if active is None:
            return
        log.info("task %s was cancelled on another replica; stopping it here", task_id)
        with contextlib.suppress(Exception):
            await active.cancel(ServerCallContext())


def _resumed(request: Request, task_id: str) -> bytes:
    """The request, pointed at the task it started before its replica died."""
    params = dict(request.params)
    params["message"] = {**request.message, "taskId": task_id}
    body = {"jsonrpc": "2.0", "id": request.request_id, "method": request.method, "params": params}
    return json.dumps(body).encode()


def _running_task_id(raw: bytes) -> str | None:
    """The id of a task a non-blocking send answered with while it still runs."""
    try:
        task = json.loads(raw).get("result", {}).get("task")
    except (ValueError, AttributeError):
        return None
    if not isinstance(task, dict) or not task.get("id"):
        return None
    state = (task.get("status") or {}).get("state", "")
    ended = {
        "TASK_STATE_COMPLETED",
        "TASK_STATE_FAILED",
        "TASK_STATE_CANCELED",
        "TASK_STATE_REJECTED",
    }
    return None if state in ended else str(task["id"])


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _starts_a_new_task(body: bytes) -> bool:
    """Whether ``body`` is a send whose message names no task: every task id it meets is new."""
    try:
        request = json.loads(body)
        if request.get("method") not in SEND_METHODS:
            return False
        return not request["params"]["message"].get("taskId")
    except (ValueError, TypeError, KeyError, AttributeError):
        return False


def _as_http_request(
    record: ConsumerRecord[Any, Any], headers: dict[str, str], body: bytes
) -> HttpRequest:
    """The record as the Starlette request the SDK's JSON-RPC dispatcher expects."""
    raw_headers = [
        (k.lower().encode("latin-1", errors="replace"), (v or b"")) for k, v in record.headers or ()
    ]
    if Headers.A2A_VERSION not in headers:
        # The Kafka binding starts at A2A 1.0: a producer that does not say is speaking it.
        raw_headers.append(
            (Headers.A2A_VERSION.lower().encode(), PROTOCOL_VERSION_CURRENT.encode())
        )
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

    return HttpRequest(scope, receive)


async def _events(response: EventSourceResponse) -> AsyncIterator[dict[str, Any]]:
    """The SSE events of a streaming response, as the dispatcher produced them."""
    async for event in response.body_iterator:
        if isinstance(event, dict):
            yield event
        else:  # pragma: no cover - the SDK always yields dicts
            yield {"data": event}
