"""Deadlines of incoming requests and of the calls made while serving them."""

from __future__ import annotations

import itertools

import pytest
from a2a.server.agent_execution import RequestContext
from a2a.server.context import ServerCallContext

from agentbus import deadline as deadline_module
from agentbus.deadline import (
    NO_DEADLINE,
    IncomingDeadline,
    incoming_deadline,
    outgoing_context,
)
from agentbus.names import Headers


def served_over_kafka(deadline_ms: int | None) -> RequestContext:
    return RequestContext(ServerCallContext(state={"kafka": {"deadline_ms": deadline_ms}}))


def served_over_http(headers: dict[str, str]) -> RequestContext:
    return RequestContext(ServerCallContext(state={"headers": headers}))


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (served_over_kafka(1_000), IncomingDeadline(known=True, at_ms=1_000)),
        (served_over_kafka(None), IncomingDeadline(known=True, at_ms=None)),
        (served_over_http({Headers.DEADLINE: "2000"}), IncomingDeadline(known=True, at_ms=2_000)),
        (served_over_http({Headers.DEADLINE: "none"}), IncomingDeadline(known=True)),
        (served_over_http({}), IncomingDeadline(known=False)),
        (served_over_http({Headers.DEADLINE: "soon"}), IncomingDeadline(known=False)),
    ],
)
def test_the_incoming_deadline_is_read_from_either_transport(
    context: RequestContext, expected: IncomingDeadline
) -> None:
    assert incoming_deadline(context) == expected


def test_a_sub_call_never_gets_a_later_deadline_even_while_the_clock_ticks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each reading of the clock is 1 ms later; the call's deadline stays within the request's."""
    ticks = itertools.count(10_000)
    monkeypatch.setattr(deadline_module, "now_ms", lambda: next(ticks))

    call = outgoing_context(served_over_kafka(12_000), default_timeout=60.0)

    assert call.service_parameters is not None
    assert int(call.service_parameters[Headers.DEADLINE]) <= 12_000
    assert call.timeout is not None
    assert 0 < call.timeout <= 2.0


def test_a_sub_call_keeps_a_reserve_and_a_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deadline_module, "now_ms", lambda: 10_000)

    reserved = outgoing_context(served_over_kafka(20_000), default_timeout=60.0, reserve_s=2.0)
    capped = outgoing_context(served_over_kafka(20_000), default_timeout=60.0, max_timeout=3.0)

    assert reserved.timeout == pytest.approx(8.0)
    assert reserved.service_parameters == {Headers.DEADLINE: "18000"}
    assert capped.timeout == pytest.approx(3.0)
    assert capped.service_parameters == {Headers.DEADLINE: "13000"}


def test_an_expired_request_still_gives_its_calls_a_few_milliseconds_to_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deadline_module, "now_ms", lambda: 10_000)

    call = outgoing_context(served_over_kafka(9_000), default_timeout=60.0)

    assert call.timeout == pytest.approx(0.005)


def test_no_deadline_stays_no_deadline_and_unknown_gets_the_default() -> None:
    asynchronous = outgoing_context(served_over_kafka(None), default_timeout=60.0)
    plain = outgoing_context(served_over_http({}), default_timeout=42.0)

    assert asynchronous.state.get(NO_DEADLINE) is True
    assert asynchronous.service_parameters == {Headers.DEADLINE: "none"}
    assert plain.timeout == 42.0
    assert not plain.service_parameters
