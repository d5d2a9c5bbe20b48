"""Fan-out: ask several agents at once, under one deadline, and get every answer.

``fan_out`` sends each agent its own request in parallel (or one after the other,
for comparison); ``scatter`` sends the *same* request to several agents: over Kafka
it is published once on ``agent.broadcast`` and every named agent answers (DESIGN's
scatter-gather), over HTTP it becomes parallel calls. Either way the result lists
every agent as ``ok``, ``error`` or ``timeout``, and the call returns when every
agent has answered or the deadline passed, whichever comes first: total time is the
slowest agent plus transport overhead.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from a2a.client import A2AClientTimeoutError, ClientCallContext
from a2a.types import Message, Part, SendMessageRequest, SendMessageResponse, Task, TaskState
from a2a.utils.errors import A2AError
from a2a.utils.proto_utils import parse_lenient

from agentbus.clients import AgentClients
from agentbus.deadline import NO_DEADLINE_TIMEOUT_S
from agentbus.errors import AgentbusError
from agentbus.names import Headers
from agentbus.transport import encode_request, request_headers
from agentbus.wire import decode_headers, error_from_response, parse_reply

__all__ = ["AgentResult", "FanOutStatus", "fan_out", "scatter"]

FanOutStatus = Literal["ok", "error", "timeout"]

_FAILED_STATES = {
    TaskState.TASK_STATE_FAILED,
    TaskState.TASK_STATE_REJECTED,
    TaskState.TASK_STATE_CANCELED,
}


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
    clients: AgentClients, agent: str, request: SendMessageRequest, context: ClientCallContext
) -> AgentResult:
    started = time.perf_counter()
    try:
        client = await clients.get(agent)
        last = None
        async for event in client.send_message(request, context=context):
            last = event
    except Exception as exc:  # noqa: BLE001 - any failure of one agent is that agent's result
        return _failure(agent, exc, time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    if last is None:
        return AgentResult(agent, "error", error="no answer", elapsed_s=elapsed)
    answer = last.task if last.HasField("task") else last.message
    return _result(agent, answer, elapsed)


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
    budget = context.timeout if context.timeout is not None else NO_DEADLINE_TIMEOUT_S
    started = time.perf_counter()
    if sequential:
        results: dict[str, AgentResult] = {}
        for agent, request in requests.items():
            left = budget - (time.perf_counter() - started)
            if left <= 0:
                results[agent] = AgentResult(agent, "timeout", error="no time left in the budget")
                continue
            results[agent] = await _ask(
                clients, agent, request, context.model_copy(update={"timeout": left})
            )
        return results
    tasks = {
        agent: asyncio.create_task(_ask(clients, agent, request, context), name=f"fan-out-{agent}")
        for agent, request in requests.items()
    }
    # The transports enforce the budget themselves; the grace only catches a stuck one.
    await asyncio.wait(tasks.values(), timeout=budget + 1.0)
    results = {}
    for agent, task in tasks.items():
        if task.done():
            results[agent] = task.result()
        else:
            task.cancel()
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
    """Ask ``agents`` the same thing; over Kafka the request is published once."""
    if clients.transport != "kafka" or clients.bus is None:
        return await fan_out(clients, dict.fromkeys(agents, request), context=context)
    return await _broadcast(clients, list(agents), request, context)


async def _broadcast(
    clients: AgentClients,
    agents: list[str],
    request: SendMessageRequest,
    context: ClientCallContext,
) -> dict[str, AgentResult]:
    bus = clients.bus
    assert bus is not None  # noqa: S101 - checked by scatter
    budget = context.timeout if context.timeout is not None else bus.settings.calls.timeout_s
    results: dict[str, AgentResult] = {}
    for agent in list(agents):
        if not await bus.topic_exists(bus.topics.requests(agent)):
            results[agent] = AgentResult(
                agent, "error", error=f"AgentNotFoundError: no agent named '{agent}'"
            )
            agents.remove(agent)
    if not agents:
        return results
    rpc_id = str(uuid.uuid4())
    target = ",".join(agents)
    value = encode_request(bus, "SendMessage", request, rpc_id, target=target)
    headers = request_headers(bus, "SendMessage", rpc_id, context, budget)
    headers[Headers.EXPECTED] = target
    key = request.message.context_id or request.message.message_id
    expected = len(results) + len(agents)
    started = time.perf_counter()
    with bus.expect_replies(rpc_id) as queue:
        try:
            async with asyncio.timeout(budget):
                await bus.publish(bus.topics.broadcast, value, key=key, headers=headers)
                while len(results) < expected:
                    record = await queue.get()
                    reply_headers = decode_headers(record.headers)
                    agent = reply_headers.get(Headers.SENDER, "")
                    if agent not in agents or agent in results:
                        continue
                    results[agent] = _broadcast_answer(
                        agent, record.value, reply_headers, time.perf_counter() - started
                    )
        except TimeoutError:
            pass
        except AgentbusError as exc:
            failed = {a: _failure(a, exc, time.perf_counter() - started) for a in agents}
            return {**results, **failed}
    for agent in agents:
        results.setdefault(
            agent,
            AgentResult(agent, "timeout", error=f"no answer within {budget:g} s", elapsed_s=budget),
        )
    return results


def _broadcast_answer(
    agent: str, value: bytes | None, headers: dict[str, str], elapsed: float
) -> AgentResult:
    try:
        reply = parse_reply(value, headers, agent=agent)
        if reply.body is None:
            return AgentResult(agent, "error", error="empty answer", elapsed_s=elapsed)
        if "error" in reply.body:
            raise error_from_response(reply.body["error"], agent=agent)
        response = parse_lenient(reply.body["result"], SendMessageResponse())
    except (A2AError, AgentbusError, KeyError, ValueError) as exc:
        return _failure(agent, exc, elapsed)
    answer = response.task if response.HasField("task") else response.message
    return _result(agent, answer, elapsed)
