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
import logging
import time
from typing import Any

from a2a.server.agent_execution import AgentExecutor
from a2a.server.context import ServerCallContext
from a2a.server.request_handlers import RequestHandler
from a2a.server.routes.jsonrpc_dispatcher import JsonRpcDispatcher
from a2a.types import AgentCard
from aiokafka import ConsumerRecord
from aiokafka import TopicPartition as AioTopicPartition
from faststream.middlewares import AckPolicy
from opentelemetry.trace import SpanKind
from sse_starlette.sse import EventSourceResponse

from agentbus.bus import KafkaBus
from agentbus.deadletter import DeadLetters
from agentbus.dispatch import (
    KafkaCallContextBuilder,
    as_http_request,
    int_or_none,
    make_request_handler,
    running_task_id,
    sse_events,
)
from agentbus.errors import BrokerUnavailableError
from agentbus.intake import SEND_METHODS, Problem, Request, read_request
from agentbus.metrics import get_metrics
from agentbus.names import Headers, validate_agent_name
from agentbus.offsets import OffsetTracker
from agentbus.ordering import KeyedSequencer
from agentbus.progress import PartitionProgress
from agentbus.provisioning import agent_topic_specs
from agentbus.redelivery import Redeliveries, resumed
from agentbus.replies import Replier, ReplyTarget
from agentbus.taskstore import KafkaTaskStore
from agentbus.tracing import extract_context, get_tracer
from agentbus.wire import deadline_error_response, decode_headers, error_response, now_ms

__all__ = ["KafkaConsumerHandler", "make_request_handler"]

log = logging.getLogger(__name__)

_DRAIN_TIMEOUT_S = 30.0
_MAX_BACKOFF_S = 5.0


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
        self._redeliveries = Redeliveries(
            agent_name,
            bus=bus,
            task_store=self.task_store,
            replier=self._replier,
            metrics=self._metrics,
        )
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
                held = await self._handle_until_done(record)
        except (asyncio.CancelledError, BrokerUnavailableError):
            log.warning(
                "request %s[%d]@%d interrupted; it will be redelivered",
                record.topic,
                record.partition,
                record.offset,
            )
            raise
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

    async def _handle_until_done(self, record: ConsumerRecord[Any, Any]) -> str | None:
        """Handle ``record``; ride out an unreachable broker; give up on anything else.

        The broker being away (a restart) is transient: the record is handled again
        with exponential backoff (capped), uncommitted meanwhile, and ``messageId``
        makes the repeat safe. Any other exception is a bug or a request this agent
        cannot process: answered with an internal error and dead-lettered, so the
        partition moves on and the record can be re-driven once fixed.
        """
        delay = 0.1
        while True:
            try:
                return await self._handle(record)
            except BrokerUnavailableError as exc:
                if self._replier.stopping:
                    raise
                log.warning("request at offset %d waits for the broker: %s", record.offset, exc)
                self._metrics.retries.labels(self.agent_name, "request").inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_BACKOFF_S)
            except Exception as exc:
                log.exception(
                    "request %s[%d]@%d failed; answering with an internal error",
                    record.topic,
                    record.partition,
                    record.offset,
                )
                self._metrics.errors.labels(self.agent_name, "unhandled").inc()
                await self._give_up(record, exc)
                return None

    async def _give_up(self, record: ConsumerRecord[Any, Any], exc: Exception) -> None:
        """Answer ``record`` with an internal error and copy it to the dead letters."""
        started = time.perf_counter()
        parsed = read_request(record.value, limit=self.bus.settings.kafka.max_request_bytes)
        request_id = parsed.request_id if isinstance(parsed, Request) else None
        target = await self._replier.target(decode_headers(record.headers), record)
        message = f"Internal error: agent '{self.agent_name}' failed on this request"
        if target is not None:
            await self._replier.send_json(target, error_response(request_id, -32603, message))
        await self._dlq.send(
            record,
            reason="internal-error",
            code=-32603,
            message=f"{type(exc).__name__}: {exc}",
        )
        method = parsed.method if isinstance(parsed, Request) else "invalid"
        self._count(method, "error", started)

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
        deadline = int_or_none(headers.get(Headers.DEADLINE))
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
            repeat = await self._redeliveries.repeat(request, target)
            if isinstance(repeat, tuple):
                return repeat
            if repeat is not None:
                body = resumed(request, repeat)
        response = await self._dispatcher.handle_requests(as_http_request(record, headers, body))
        if isinstance(response, EventSourceResponse):
            return await self._stream(response, target), None
        raw = bytes(response.body)
        await self._replier.send(target, raw, 0, final=True)
        if b'"error"' in raw[:64]:
            return "error", None
        return "ok", running_task_id(raw) if request.non_blocking else None

    async def _stream(self, response: EventSourceResponse, target: ReplyTarget) -> str:
        sequence, outcome = 0, "ok"
        async for event in sse_events(response):
            final = event.get("event") == "error"
            await self._replier.send(target, str(event["data"]).encode(), sequence, final=final)
            sequence += 1
            if final:
                return "error"
        await self._replier.send(target, b"", sequence, final=True)
        return outcome

    async def _stop_cancelled(self, task_id: str) -> None:
        """Another replica cancelled a task running here: stop its executor now."""
        registry = getattr(self.request_handler, "_active_task_registry", None)
        active = await registry.get(task_id) if registry is not None else None
        if active is None:
            return
        log.info("task %s was cancelled on another replica; stopping it here", task_id)
        with contextlib.suppress(Exception):
            await active.cancel(ServerCallContext())
