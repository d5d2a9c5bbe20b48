"""Sending records to an agent over Kafka and judging whether each got a clear answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

from aiokafka import AIOKafkaProducer, ConsumerRecord

from agentbus import KafkaBus
from agentbus.connection import admin_args
from agentbus.names import Headers, validate_agent_name
from agentbus.wire import decode_headers, request_id_of
from chaos.fuzz.report import LIMIT_S, FuzzReport, _clip, _Findings
from chaos.fuzz.sweeper import _Sweeper
from chaos.fuzz.wire_cases import FUZZ_ID, WireCase, wire_matrix
from chaos.fuzz.wire_strategies import wire_inputs

__all__ = ["fuzz_wire"]

_BUSY_S: Final = 2.0
"""After this long without its answer, a wire record leaves its concurrency slot."""


@dataclass
class _Outcome:
    problem: str | None
    accepted: bool = False


class _Wire:
    """Sends wire cases to one agent and judges what comes back."""

    def __init__(self, bus: KafkaBus, agent: str, limit_s: float) -> None:
        self.bus = bus
        self.topic = bus.topics.requests(agent)
        self.dlq = bus.topics.dlq(agent)
        self.limit = bus.settings.kafka.max_request_bytes
        self.limit_s = limit_s
        self.sweeper = _Sweeper(bus, self.dlq)
        # For what bus.publish cannot send: non-UTF-8 or repeated headers, no correlation id.
        self.producer = AIOKafkaProducer(
            **admin_args(bus.settings, client_id=f"{bus.client_id}-fuzz-raw"),
            acks="all",
            max_request_size=self.limit + 64 * 1024,
        )

    async def __aenter__(self) -> _Wire:
        await self.producer.start()
        try:
            await self.sweeper.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await self.sweeper.stop()
            await self.producer.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.sweeper.stop()
        finally:
            await self.producer.stop()

    def _headers(self, case: WireCase, correlation: str) -> list[tuple[str, bytes]]:
        routing: dict[str, bytes | None] = {
            Headers.CORRELATION_ID: correlation.encode(),
            Headers.REPLY_TOPIC: self.bus.inbox_topic.encode(),
            Headers.REPLY_PARTITION: str(self.bus.inbox_partition).encode(),
            Headers.SENDER: self.bus.name.encode(),
        }
        routing.update(case.routing)
        pairs = [(k, v) for k, v in routing.items() if v is not None]
        return [*pairs, (FUZZ_ID, correlation.encode()), *case.extra]

    async def _publish(self, case: WireCase, correlation: str) -> None:
        pairs = self._headers(case, correlation)
        key = correlation.encode() if case.own_key else case.key
        names = [k for k, _ in pairs]
        try:
            text = {k: v.decode() for k, v in pairs}
        except UnicodeDecodeError:
            text = {}
        plain = (
            case.value is not None
            and len(text) == len(names)
            and text.get(Headers.CORRELATION_ID) == correlation
        )
        if plain:
            await self.bus.publish(self.topic, case.value, key=key, headers=text)
        else:
            await self.producer.send_and_wait(self.topic, case.value, key=key, headers=pairs)

    async def run(self, case: WireCase) -> _Outcome:
        """Send ``case`` and judge the answer."""
        correlation = str(uuid.uuid4())
        with (
            self.bus.expect_replies(correlation) as queue,
            self.sweeper.watch(correlation, queue),
        ):
            try:
                await self._publish(case, correlation)
            except Exception as exc:  # noqa: BLE001 - any refusal is reported, not raised
                return _Outcome(f"could not be published: {exc!r}")
            records = await self._collect(queue)
        return self._judge(case, records)

    async def _collect(
        self, queue: asyncio.Queue[ConsumerRecord[Any, Any]]
    ) -> list[ConsumerRecord[Any, Any]]:
        records: list[ConsumerRecord[Any, Any]] = []
        deadline = time.monotonic() + self.limit_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                record = await asyncio.wait_for(queue.get(), left)
            except TimeoutError:
                break
            records.append(record)
            headers = decode_headers(record.headers)
            if record.topic == self.dlq:
                if headers.get("agentbus-dlq-reason") == "unroutable":
                    break
            elif headers.get(Headers.FINAL) == "1":
                break
        return records

    def _judge(  # noqa: PLR0911 - one return per kind of unclear answer
        self, case: WireCase, records: list[ConsumerRecord[Any, Any]]
    ) -> _Outcome:
        replies = [r for r in records if r.topic != self.dlq]
        reasons = [
            decode_headers(r.headers).get("agentbus-dlq-reason", "?")
            for r in records
            if r.topic == self.dlq
        ]
        seen = f" (dead-lettered as {', '.join(reasons)})" if reasons else ""
        if case.answer != "reply" and not replies and "unroutable" in reasons:
            return _Outcome(None)
        if case.answer == "dead letter":
            return _Outcome(f"no unroutable dead letter within {self.limit_s:g} s{seen}")
        if not replies:
            return _Outcome(f"no reply within {self.limit_s:g} s{seen}")
        if decode_headers(replies[-1].headers).get(Headers.FINAL) != "1":
            return _Outcome(f"{len(replies)} replies but no final one within {self.limit_s:g} s")
        expected = _expected_id(case.value, self.limit)
        bodies = 0
        for reply in replies:
            if case.answer == "reply" and reply.partition != self.bus.inbox_partition:
                return _Outcome(f"reply on partition {reply.partition}, not the one asked for")
            if not reply.value:
                continue
            bodies += 1
            problem = _reply_problem(reply.value, expected)
            if problem is not None:
                return _Outcome(problem)
        if not bodies:
            return _Outcome("the only reply is an empty end-of-stream marker")
        first = json.loads(next(r.value for r in replies if r.value))
        return _Outcome(None, accepted="result" in first)


def _expected_id(value: bytes | None, limit: int) -> Any:
    """The id a reply to ``value`` must carry (``None`` when the request has no valid one)."""
    if value is None or len(value) > limit:
        return None
    try:
        return request_id_of(json.loads(value))
    except (ValueError, RecursionError):
        return None


def _reply_problem(value: bytes, expected_id: Any) -> str | None:  # noqa: PLR0911 - one return per broken rule
    """Why ``value`` is not a JSON-RPC 2.0 response to the request, or ``None``."""
    try:
        body = json.loads(value)
    except (ValueError, RecursionError):
        return f"reply is not JSON: {_clip(value)}"
    if not isinstance(body, dict) or body.get("jsonrpc") != "2.0":
        return f"reply is not a JSON-RPC 2.0 object: {_clip(value)}"
    if ("result" in body) == ("error" in body):
        return f"reply needs exactly one of result and error: {_clip(value)}"
    if "error" in body:
        error = body["error"]
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        if not isinstance(code, int) or isinstance(code, bool):
            return f"reply error without an integer code: {_clip(value)}"
        if not isinstance(message, str) or not message.strip():
            return f"reply error without a message: {_clip(value)}"
    if "id" not in body:
        return f"reply without id: {_clip(value)}"
    if body["id"] != expected_id or type(body["id"]) is not type(expected_id):
        return f"reply id {body['id']!r}, request id {expected_id!r}: {_clip(value)}"
    return None


async def fuzz_wire(
    bus: KafkaBus,
    agent: str,
    *,
    examples: int = 600,
    seed: int = 0,
    concurrency: int = 16,
    limit_s: float = LIMIT_S,
) -> FuzzReport:
    """Send the matrix and ``examples`` generated records to agent ``agent`` over Kafka.

    ``bus`` must be started (its inbox receives the replies); the agent must be
    running (its request and dead-letter topics must exist). Records are sent
    ``concurrency`` at a time.
    """
    started = time.perf_counter()
    validate_agent_name(agent)
    if not bus.started:
        raise ValueError("the bus is not started: call await bus.start() before fuzz_wire")
    topic = bus.topics.requests(agent)
    if not await bus.topic_exists(topic):
        raise ValueError(f"agent {agent!r} has no request topic {topic!r}: start the agent first")
    generated = await asyncio.to_thread(wire_inputs, examples, seed)
    cases = [*wire_matrix(bus.topics.prefix, bus.settings.kafka.max_request_bytes), *generated]
    report = FuzzReport(inputs=len(cases), wire_inputs=len(cases))
    slots = asyncio.Semaphore(concurrency)
    async with _Wire(bus, agent, limit_s) as wire:

        async def one(case: WireCase) -> _Outcome:
            # A record unanswered after a while stops counting against the concurrency, so
            # records an agent never answers do not slow the run down to one per time limit.
            async with slots:
                running = asyncio.ensure_future(wire.run(case))
                await asyncio.wait([running], timeout=_BUSY_S)
            return await running

        outcomes = await asyncio.gather(*(one(case) for case in cases))
    findings = _Findings()
    for case, outcome in zip(cases, outcomes, strict=True):
        if outcome.problem is not None:
            kind = f"{case.label}|{outcome.problem[:24]}"
            findings.add(kind, f"{case.describe()} → {outcome.problem}")
        elif outcome.accepted:
            report.accepted += 1
    findings.fill(report)
    report.seconds = time.perf_counter() - started
    return report
