"""Deadlines that travel with a request and bound the calls it makes.

A synchronous call carries an absolute deadline (``agentbus-deadline-ms``); an agent
that calls other agents while serving it gives them what is left of it, so a chain
of calls never works past the moment its first caller gave up. An asynchronous
task has *no* deadline: its requests wait in Kafka while an agent is down and are
processed after recovery, and the calls it makes carry no deadline either.

``outgoing_context(request_context)`` builds the a2a-sdk ``ClientCallContext`` for a
call made while serving a request, following those rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from a2a.client import ClientCallContext
from a2a.server.agent_execution import RequestContext

from agentbus.names import Headers
from agentbus.wire import now_ms

__all__ = [
    "NO_DEADLINE",
    "NO_DEADLINE_TIMEOUT_S",
    "IncomingDeadline",
    "incoming_deadline",
    "no_deadline_context",
    "outgoing_context",
]

NO_DEADLINE: Final = "agentbus.no_deadline"
"""``ClientCallContext.state`` key: send without a deadline (asynchronous work)."""

NO_DEADLINE_TIMEOUT_S: Final = 7 * 24 * 3600.0
"""How long a caller waits for an answer to a call without deadline (a week)."""


def no_deadline_context(timeout: float = NO_DEADLINE_TIMEOUT_S) -> ClientCallContext:
    """A call context for asynchronous work: no deadline, a very long wait.

    Over HTTP the absence travels as ``agentbus-deadline-ms: none``, so an agent
    serving it over either transport knows its own calls need no deadline either.
    """
    return ClientCallContext(
        timeout=timeout,
        state={NO_DEADLINE: True},
        service_parameters={Headers.DEADLINE: "none"},
    )


@dataclass(frozen=True, slots=True)
class IncomingDeadline:
    """What the request being served says about its deadline."""

    known: bool
    """False when the transport carried no deadline information (a plain HTTP caller)."""
    at_ms: int | None = None
    """The deadline in epoch ms; ``None`` with ``known`` means "no deadline" (async work)."""


def incoming_deadline(context: RequestContext) -> IncomingDeadline:
    """The deadline of the request ``context`` serves, from Kafka or HTTP headers."""
    state: dict[str, Any] = dict(context.call_context.state)
    kafka = state.get("kafka")
    if isinstance(kafka, dict) and kafka:
        value = kafka.get("deadline_ms")
        return IncomingDeadline(known=True, at_ms=int(value) if value is not None else None)
    headers = state.get("headers") or {}
    raw = headers.get(Headers.DEADLINE) or headers.get(Headers.DEADLINE.lower())
    if raw is None:
        return IncomingDeadline(known=False)
    if str(raw).lower() == "none":
        return IncomingDeadline(known=True)
    try:
        return IncomingDeadline(known=True, at_ms=int(raw))
    except ValueError:
        return IncomingDeadline(known=False)


def outgoing_context(
    context: RequestContext,
    *,
    default_timeout: float,
    max_timeout: float | None = None,
    reserve_s: float = 0.0,
) -> ClientCallContext:
    """The context for a call made while serving ``context``'s request.

    What is left of the request's deadline, minus ``reserve_s`` kept for the work
    after the call (writing an answer), and at most ``max_timeout``, becomes the
    call's timeout (at least a few milliseconds, so an expired chain fails fast
    instead of not at all). No deadline stays no deadline; a caller without deadline
    information gets ``default_timeout``.
    """
    deadline = incoming_deadline(context)
    if not deadline.known:
        return ClientCallContext(timeout=default_timeout)
    if deadline.at_ms is None:
        return no_deadline_context()
    # One reading of the clock: a second one could put the call's deadline a
    # millisecond past the request's own.
    now = now_ms()
    remaining_s = (deadline.at_ms - now) / 1000 - reserve_s
    if max_timeout is not None:
        remaining_s = min(remaining_s, max_timeout)
    timeout = max(0.005, remaining_s)
    return ClientCallContext(
        timeout=timeout,
        service_parameters={Headers.DEADLINE: str(now + int(timeout * 1000))},
    )
