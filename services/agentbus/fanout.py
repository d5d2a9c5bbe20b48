"""Fan-out: ask several agents at once, under one deadline, and get every answer.

``fan_out`` sends each agent its own request in parallel (or one after the other,
for comparison); ``scatter`` sends the *same* request to several agents: over Kafka
it is published once on ``agent.broadcast`` and every named agent answers (DESIGN's
scatter-gather), over HTTP it becomes parallel calls. Either way the result lists
every agent as ``ok``, ``error`` or ``timeout``, and the call returns when every
agent has answered or the deadline passed, whichever comes first: total time is the
slowest agent plus transport overhead.

Sub-calls stream, so the ids of the tasks they start are known at once: if the
fan-out is abandoned (the caller's own task was cancelled), those tasks are
cancelled too instead of working for nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from a2a.client import A2AClientTimeoutError, ClientCallContext
from a2a.types import (
    CancelTaskRequest,
    Message,
    Part,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskState,
)
from a2a.utils.proto_utils import parse_lenient

from agentbus.clients import AgentClients
from agentbus.deadline import NO_DEADLINE_TIMEOUT_S
from agentbus.errors import AgentbusError
from agentbus.names import Headers
from agentbus.transport import encode_request, ends_stream, request_headers
from agentbus.wire import decode_headers, error_from_response, parse_reply

__all__ = ["AgentResult", "FanOutStatus", "fan_out", "scatter"]

log = logging.getLogger(__name__)

FanOutStatus = Literal["ok", "error", "timeout"]

_FAILED_STATES = {
    TaskState.TASK_STATE_FAILED,
    TaskState.TASK_STATE_REJECTED,
    TaskState.TASK_STATE_CANCELED,
}
_CANCEL_TIMEOUT_S = 3.0
_GRACE_S = 1.0
"""Past the budget, how long a call may take before it counts as timed out anyway.

The transports time out a call that gets no answer, but a stream's timeout restarts
with every event (Kafka) or read (HTTP): an agent streaming progress is cut off here.
"""


@dataclass(frozen=True)
class AgentResult:
    """One agent's part of a fan-out."""

    agent: str
    status: FanOutStatus
    task: Task | None = None
    message: Message | None = None
    error: str | None = None
    elapsed_s: float = 0.0
    parts: list[Part] = field(default_factory=list)
    """Every part the agent answered with: the message's, or all artifacts' of the task."""


class _Answer:
    """What one agent has streamed so far."""

    def __init__(self) -> None:
        self.task: Task | None = None
        self.message: Message | None = None

    def add(self, event: StreamResponse) -> None:
        if event.HasField("task"):
            self.task = Task()
            self.task.CopyFrom(event.task)
        elif event.HasField("message"):
            self.message = event.message
        elif self.task is not None and event.HasField("status_update"):
            self.task.status.CopyFrom(event.status_update.status)
        elif self.task is not None and event.HasField("artifact_update"):
            artifact = event.artifact_update.artifact
            kept = [a for a in self.task.artifacts if a.artifact_id != artifact.artifact_id]
            del self.task.artifacts[:]
            self.task.artifacts.extend([*kept, artifact])

    def result(self, agent: str, elapsed: float) -> AgentResult:
        answer = self.message or self.task
        if answer is None:
            return AgentResult(agent, "error", error="no answer", elapsed_s=elapsed)
        return _result(agent, answer, elapsed)


class _Started:
    """Tasks the sub-calls started, by agent: cancelled if the fan-out is abandoned."""

    def __init__(self, clients: AgentClients) -> None:
        self.clients = clients
        self.tasks: dict[str, str] = {}

    def saw(self, agent: str, event: StreamResponse) -> None:
        if agent not in self.tasks and event.HasField("task"):
            self.tasks[agent] = event.task.id

    async def cancel_all(self) -> None:
        async def cancel(agent: str, task_id: str) -> None:
            with contextlib.suppress(Exception):
                client = await self.clients.get(agent)
                await client.cancel_task(
                    CancelTaskRequest(id=task_id),
                    context=ClientCallContext(timeout=_CANCEL_TIMEOUT_S),
                )
                log.info("cancelled %s's task %s: its caller gave up", agent, task_id)

        await asyncio.gather(*(cancel(a, t) for a, t in self.tasks.items()))


def _result(agent: str, answer: Task | Message, elapsed: float) -> AgentResult:
    if isinstance(answer, Message):
        return AgentResult(agent, "ok", message=answer, elapsed_s=elapsed, parts=list(answer.parts))
    parts = [p for artifact in answer.artifacts for p in artifact.parts]
    if answer.status.state in _FAILED_STATES:
        why = " ".join(p.text for p in answer.status.message.parts if p.text) or "no reason given"
        state = TaskState.Name(answer.status.state).removeprefix("TASK_STATE_").lower()
        return AgentResult(
            agent,
            "error",
            task=answer,
            error=f"task {state}: {why}",
            elapsed_s=elapsed,
            parts=parts,
        )
    return AgentResult(agent, "ok", task=answer, elapsed_s=elapsed, parts=parts)


def _failure(agent: str, exc: BaseException, elapsed: float) -> AgentResult:
    if isinstance(exc, A2AClientTimeoutError | TimeoutError):
        return AgentResult(agent, "timeout", error=str(exc) or "timed out", elapsed_s=elapsed)
    return AgentResult(agent, "error", error=f"{type(exc).__name__}: {exc}", elapsed_s=elapsed)


async def _ask(
    clients: AgentClients,
    agent: str,
    request: SendMessageRequest,
    context: ClientCallContext,
    started: _Started,
) -> AgentResult:
    began = time.perf_counter()
    answer = _Answer()
    try:
        client = await clients.get(agent, streaming=True)
        async for event in client.send_message(request, context=context):
            started.saw(agent, event)
            answer.add(event)
    except Exception as exc:  # noqa: BLE001 - any failure of one agent is that agent's result
        return _failure(agent, exc, time.perf_counter() - began)
    return answer.result(agent, time.perf_counter() - began)


async def fan_out(
    clients: AgentClients,
    requests: Mapping[str, SendMessageRequest],
    *,
    context: ClientCallContext,
    sequential: bool = False,
) -> dict[str, AgentResult]:
    """Send each agent its request; return every agent's result, ok, error or timeout.

    ``context.timeout`` is the budget for the whole fan-out (one deadline for all).
    With ``sequential`` the agents are asked one after the other within that budget,
    which is what wiring agents by direct calls usually does.
    """
    started = _Started(clients)
    try:
        return await _fan_out(clients, requests, context, sequential, started)
    except asyncio.CancelledError:
        await asyncio.shield(started.cancel_all())
        raise


async def _fan_out(
    clients: AgentClients,
    requests: Mapping[str, SendMessageRequest],
    context: ClientCallContext,
    sequential: bool,
    started: _Started,
) -> dict[str, AgentResult]:
    budget = context.timeout if context.timeout is not None else NO_DEADLINE_TIMEOUT_S
    began = time.perf_counter()
    results: dict[str, AgentResult] = {}
    if sequential:
        for agent, request in requests.items():
            left = budget - (time.perf_counter() - began)
            if left <= 0:
                results[agent] = AgentResult(agent, "timeout", error="no time left in the budget")
                continue
            call = context.model_copy(update={"timeout": left})
            try:
                async with asyncio.timeout(left + _GRACE_S):
                    results[agent] = await _ask(clients, agent, request, call, started)
            except TimeoutError:
                results[agent] = AgentResult(
                    agent, "timeout", error=f"no answer within {left:g} s", elapsed_s=left
                )
        return results
    tasks = {
        agent: asyncio.create_task(_ask(clients, agent, request, context, started))
        for agent, request in requests.items()
    }
    try:
        await asyncio.wait(tasks.values(), timeout=budget + _GRACE_S)
    finally:
        for task in tasks.values():
            task.cancel()
    for agent, task in tasks.items():
        if task.done() and not task.cancelled():
            results[agent] = task.result()
        else:
            results[agent] = AgentResult(
                agent, "timeout", error=f"no answer within {budget:g} s", elapsed_s=budget
            )
    return results


async def scatter(
    clients: AgentClients,
    agents: Sequence[str],
    request: SendMessageRequest,
    *,
    context: ClientCallContext,
) -> dict[str, AgentResult]:
    """Ask ``agents`` the same thing; over Kafka the request is published once.

    Without ``AGENTBUS_CALLS__BROADCAST`` (a principal with no right to write the
    broadcast topic) it is sent to each agent, as :func:`fan_out` does.
    """
    bus = clients.bus
    if clients.transport != "kafka" or bus is None or not bus.settings.calls.broadcast:
        return await fan_out(clients, dict.fromkeys(agents, request), context=context)
    started = _Started(clients)
    try:
        return await _broadcast(clients, list(agents), request, context, started)
    except asyncio.CancelledError:
        await asyncio.shield(started.cancel_all())
        raise


async def _broadcast(
    clients: AgentClients,
    agents: list[str],
    request: SendMessageRequest,
    context: ClientCallContext,
    started: _Started,
) -> dict[str, AgentResult]:
    bus = clients.bus
    assert bus is not None  # noqa: S101 - checked by scatter
    budget = context.timeout if context.timeout is not None else bus.settings.calls.timeout_s
    results: dict[str, AgentResult] = {}
    for agent in list(agents):
        if not await bus.topic_exists(bus.topics.requests(agent)):
            error = f"AgentNotFoundError: no agent named '{agent}'"
            results[agent] = AgentResult(agent, "error", error=error)
            agents.remove(agent)
    if not agents:
        return results
    method = "SendStreamingMessage"
    rpc_id = str(uuid.uuid4())
    target = ",".join(agents)
    value = encode_request(bus, method, request, rpc_id, target=target)
    headers = request_headers(bus, method, rpc_id, context, budget)
    headers[Headers.EXPECTED] = target
    key = request.message.context_id or request.message.message_id
    expected = {agent: _AgentStream(agent, started) for agent in agents}
    began = time.perf_counter()
    with bus.expect_replies(rpc_id) as queue:
        try:
            async with asyncio.timeout(budget):
                await bus.publish(bus.topics.broadcast, value, key=key, headers=headers)
                while expected:
                    record = await queue.get()
                    reply_headers = decode_headers(record.headers)
                    agent = reply_headers.get(Headers.SENDER, "")
                    if agent not in expected:
                        continue
                    stream = expected[agent]
                    done = stream.take(record.value, reply_headers)
                    if done is None:
                        continue
                    elapsed = time.perf_counter() - began
                    if not isinstance(done, AgentResult):
                        done = stream.answer.result(agent, elapsed)
                    results[agent] = done
                    del expected[agent]
        except TimeoutError:
            pass
        except AgentbusError as exc:
            failed = {a: _failure(a, exc, time.perf_counter() - began) for a in expected}
            return {**results, **failed}
    for agent in expected:
        results[agent] = AgentResult(
            agent, "timeout", error=f"no answer within {budget:g} s", elapsed_s=budget
        )
    return results


class _AgentStream:
    """One agent's part of a broadcast: its events in order, then its end."""

    def __init__(self, agent: str, started: _Started) -> None:
        self.agent = agent
        self.answer = _Answer()
        self.started = started
        self.next = 0

    def take(
        self, value: bytes | None, headers: dict[str, str]
    ) -> AgentResult | Literal[True] | None:
        """Apply one reply record.

        Returns ``None`` while the stream goes on, ``True`` when it ended normally, and
        an ``AgentResult`` when it ended in an error.
        """
        agent = self.agent
        try:
            reply = parse_reply(value, headers, agent=agent)
        except AgentbusError as exc:
            return _failure(agent, exc, 0.0)
        if reply.sequence < self.next:
            return None  # a duplicate of an event already applied
        if reply.sequence > self.next:
            return _failure(
                agent, AgentbusError(f"stream from {agent} skipped event #{self.next}"), 0.0
            )
        self.next += 1
        if reply.body is not None:
            if "error" in reply.body:
                return _failure(agent, error_from_response(reply.body["error"], agent=agent), 0.0)
            event = parse_lenient(reply.body.get("result") or {}, StreamResponse())
            self.started.saw(agent, event)
            self.answer.add(event)
            if ends_stream(event):
                return True  # the end-of-stream record that follows need not be awaited
        return True if reply.final else None
