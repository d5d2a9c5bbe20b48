"""Fan-out on the real broker: every agent's result, one deadline for all, cancellation.

Echo agents ``fan-a`` and ``fan-b`` answer at once; ``fan-slow`` works far past every
deadline used here before it answers anything; ``fan-relay`` asks ``fan-a`` and
``fan-b`` itself (with ``fan_out``, or with ``scatter`` when its text says so) under
what is left of its own deadline, as the balance agent does. Every echo notes the
deadline of each request it serves, and so does the relay, so a sub-call's deadline
can be compared with the one of the call it serves.

Each agent is served over Kafka, under this module's own topic prefix, and over
HTTP. Agent names are this module's own too: an agent's consumer group is its bare
name, whatever the prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
from a2a.client import ClientCallContext
from a2a.helpers import get_text_parts, new_text_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.types import (
    AgentSkill,
    ListTasksRequest,
    Part,
    SendMessageRequest,
    Task,
    TaskState,
)

from agentbus import (
    AgentClients,
    AgentResult,
    AgentSpec,
    Headers,
    create_agent_app,
    fan_out,
    no_deadline_context,
    outgoing_context,
    scatter,
)
from agentbus.deadline import IncomingDeadline, incoming_deadline
from agentbus.localkafka import LocalKafka
from agentbus.wire import now_ms
from echo_agent.app import create_spec
from echo_agent.executor import EchoExecutor
from echo_agent.settings import EchoSettings
from tests.support import (
    free_port,
    http_settings,
    kafka_caller,
    kafka_settings,
    serve,
    user_message,
    wait_terminal,
)

TOPICS = {"prefix": "fanout."}
FAST = ("fan-a", "fan-b")
SLOW = "fan-slow"
RELAY = "fan-relay"
NOBODY = "fan-nobody"
DEADLINE_S = 4.0
"""The deadline of the fan-outs in these tests: ample for an echo on a busy machine."""
SLOW_S = 12.0
"""How long ``fan-slow`` works before it answers: far past ``DEADLINE_S``."""

Seen = dict[tuple[str, str], IncomingDeadline]
"""(agent, text of the request) -> the deadline the agent saw on it."""


class NotingEcho(EchoExecutor):
    """The echo agent, noting the deadline of every request it serves."""

    def __init__(self, name: str, seen: Seen, *, work_delay_s: float) -> None:
        super().__init__(work_delay_s=work_delay_s)
        self.name = name
        self.seen = seen

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Note the request's deadline, then echo as usual."""
        self.seen[self.name, context.get_user_input()] = incoming_deadline(context)
        await super().execute(context, event_queue)


class Relay(AgentExecutor):
    """Asks ``fan-a`` and ``fan-b`` what it was asked, within its own deadline."""

    def __init__(self, clients: AgentClients, seen: Seen) -> None:
        self.clients = clients
        self.seen = seen

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Fan out (``scatter`` if the text starts with it), answer with every status."""
        text = context.get_user_input()
        self.seen[RELAY, text] = incoming_deadline(context)
        call = outgoing_context(context, default_timeout=60.0)
        request = user_message(Part(text=text))
        if text.startswith("scatter"):
            results = await scatter(self.clients, list(FAST), request, context=call)
        else:
            results = await fan_out(self.clients, dict.fromkeys(FAST, request), context=call)
        summary = " ".join(f"{agent}={results[agent].status}" for agent in sorted(results))
        await event_queue.enqueue_event(new_text_message(summary))

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Nothing to stop: the relay answers with a message, never a task."""
        del context, event_queue


@dataclasses.dataclass
class Fleet:
    """The served agents: a caller per transport and the deadlines they saw."""

    callers: dict[str, AgentClients]
    seen: Seen


def echo_spec(name: str, seen: Seen, *, work_delay_s: float = 0.0) -> AgentSpec:
    spec = create_spec(EchoSettings(name=name))
    return dataclasses.replace(
        spec, make_executor=lambda _: NotingEcho(name, seen, work_delay_s=work_delay_s)
    )


def relay_spec(seen: Seen) -> AgentSpec:
    skill = AgentSkill(id="relay", name="Relay", description="Asks fan-a and fan-b.", tags=["test"])
    return AgentSpec(RELAY, "Fans out to fan-a and fan-b.", "1", [skill], lambda c: Relay(c, seen))


@pytest.fixture(scope="module")
async def fleet(kafka: LocalKafka) -> AsyncIterator[Fleet]:
    bootstrap = kafka.bootstrap_servers
    seen: Seen = {}
    echoes = {name: echo_spec(name, seen) for name in FAST}
    echoes[SLOW] = echo_spec(SLOW, seen, work_delay_s=SLOW_S)
    async with contextlib.AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        for name, spec in echoes.items():
            on_kafka = kafka_settings(bootstrap, topics=TOPICS)
            await stack.enter_async_context(
                serve(create_agent_app(on_kafka, spec), on_kafka.ops.port)
            )
            on_http = kafka_settings(bootstrap, transport="http", ops={"port": free_port()})
            urls[name] = await stack.enter_async_context(
                serve(create_agent_app(on_http, spec), on_http.ops.port)
            )
        on_kafka = kafka_settings(bootstrap, topics=TOPICS)
        await stack.enter_async_context(
            serve(create_agent_app(on_kafka, relay_spec(seen)), on_kafka.ops.port)
        )
        on_http = http_settings(bootstrap, urls)
        urls[RELAY] = await stack.enter_async_context(
            serve(create_agent_app(on_http, relay_spec(seen)), on_http.ops.port)
        )
        kafka_clients = await stack.enter_async_context(
            kafka_caller(kafka_settings(bootstrap, topics=TOPICS))
        )
        http_clients = AgentClients(http_settings(bootstrap, urls))
        stack.push_async_callback(http_clients.aclose)
        yield Fleet({"kafka": kafka_clients, "http": http_clients}, seen)


@pytest.fixture(params=["kafka", "http"])
def clients(request: pytest.FixtureRequest, fleet: Fleet) -> AgentClients:
    return fleet.callers[request.param]


def ask(text: str, context_id: str | None = None) -> SendMessageRequest:
    request = user_message(Part(text=text))
    if context_id is not None:
        request.message.context_id = context_id
    return request


def texts(result: AgentResult) -> list[str]:
    return get_text_parts(result.parts)


def statuses(results: dict[str, AgentResult]) -> dict[str, str]:
    return {agent: result.status for agent, result in results.items()}


def within(seconds: float) -> ClientCallContext:
    """A call context with a deadline that travels over either transport."""
    return ClientCallContext(
        timeout=seconds,
        service_parameters={Headers.DEADLINE: str(now_ms() + int(seconds * 1000))},
    )


async def working_in(clients: AgentClients, agent: str, context_id: str) -> list[Task]:
    """``agent``'s working tasks of conversation ``context_id``.

    Filtered here, not by the agent: a listing by ``contextId`` belongs to that
    conversation, whose requests an agent serves in order, so it would wait for the
    very task it looks for to end.
    """
    client = await clients.get(agent)
    listed = await client.list_tasks(
        ListTasksRequest(status=TaskState.TASK_STATE_WORKING, include_artifacts=True, page_size=100)
    )
    return [task for task in listed.tasks if task.context_id == context_id]


# -- every agent's result ------------------------------------------------------------------


async def test_the_ok_results_carry_every_answer(clients: AgentClients) -> None:
    """An agent answering with a message and one answering with a task both come back ok."""
    tag = uuid.uuid4().hex[:8]

    results = await fan_out(
        clients,
        {"fan-a": ask(f"hello {tag}"), "fan-b": ask(f"task 2 0: count {tag}")},
        context=ClientCallContext(timeout=DEADLINE_S),
    )

    assert statuses(results) == {"fan-a": "ok", "fan-b": "ok"}
    assert texts(results["fan-a"]) == [f"echo: hello {tag}"]
    assert results["fan-a"].message is not None
    assert texts(results["fan-b"]) == [f"count {tag} [1/2]", f"count {tag} [2/2]"]
    assert results["fan-b"].task is not None
    assert results["fan-b"].task.status.state == TaskState.TASK_STATE_COMPLETED


async def test_every_agent_is_reported_ok_error_or_timed_out(clients: AgentClients) -> None:
    """One fan-out reports the answer, the agent's InvalidParams message and the timeout."""
    results = await fan_out(
        clients,
        {"fan-a": ask("hello"), "fan-b": ask("task 9999 0: too many"), SLOW: ask("hello")},
        context=ClientCallContext(timeout=DEADLINE_S),
    )

    assert statuses(results) == {"fan-a": "ok", "fan-b": "error", SLOW: "timeout"}
    assert texts(results["fan-a"]) == ["echo: hello"]
    assert "InvalidParams" in (results["fan-b"].error or "")
    assert "steps must be 0..100" in (results["fan-b"].error or "")
    assert results[SLOW].parts == []


async def test_scatter_asks_every_agent_the_same_thing(clients: AgentClients) -> None:
    """Scatter (one broadcast over Kafka, parallel calls over HTTP) gets each agent's answer."""
    tag = uuid.uuid4().hex[:8]

    results = await scatter(
        clients, list(FAST), ask(f"task 2 0: same {tag}"), context=ClientCallContext(timeout=10)
    )

    assert statuses(results) == {"fan-a": "ok", "fan-b": "ok"}
    for agent in FAST:
        assert texts(results[agent]) == [f"same {tag} [1/2]", f"same {tag} [2/2]"]


async def test_scatter_reports_every_agent_ok_error_or_timed_out(clients: AgentClients) -> None:
    """Scatter reports the answer, the timeout and the unknown agent, each for its agent."""
    results = await scatter(
        clients,
        ["fan-a", SLOW, NOBODY],
        ask("hello"),
        context=ClientCallContext(timeout=DEADLINE_S),
    )

    assert statuses(results) == {"fan-a": "ok", SLOW: "timeout", NOBODY: "error"}
    assert texts(results["fan-a"]) == ["echo: hello"]
    assert NOBODY in (results[NOBODY].error or "")


async def test_scatter_reports_the_error_each_agent_answered(clients: AgentClients) -> None:
    """A request every agent refuses comes back as an error with the agent's message, per agent."""
    results = await scatter(
        clients, list(FAST), ask("task 9999 0: too many"), context=ClientCallContext(timeout=10)
    )

    assert statuses(results) == {"fan-a": "error", "fan-b": "error"}
    for agent in FAST:
        assert "steps must be 0..100" in (results[agent].error or "")


# -- one deadline for all ------------------------------------------------------------------


@pytest.mark.parametrize("helper", ["fan_out", "scatter"])
async def test_a_slow_agent_does_not_hold_back_the_others(
    clients: AgentClients, helper: str
) -> None:
    """With the slow agent asked first, the others' answers still arrive, and it times out."""
    agents = [SLOW, *FAST]
    context = ClientCallContext(timeout=DEADLINE_S)

    if helper == "scatter":
        results = await scatter(clients, agents, ask("hello"), context=context)
    else:
        results = await fan_out(clients, {a: ask("hello") for a in agents}, context=context)

    # Had the call waited for the slow agent, its answer would have arrived: ok, not timeout.
    assert statuses(results) == {SLOW: "timeout", "fan-a": "ok", "fan-b": "ok"}


async def test_sequential_agents_share_one_budget(clients: AgentClients) -> None:
    """Asked one after the other, an agent after a slow one gets what is left: nothing."""
    results = await fan_out(
        clients,
        {SLOW: ask("hello"), "fan-a": ask("hello")},
        context=ClientCallContext(timeout=DEADLINE_S),
        sequential=True,
    )

    assert statuses(results) == {SLOW: "timeout", "fan-a": "timeout"}
    assert "no time left" in (results["fan-a"].error or "")


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
async def test_an_agent_streaming_progress_past_the_deadline_times_out(
    clients: AgentClients, sequential: bool
) -> None:
    """An agent whose progress keeps coming is cut off at the deadline, not waited for."""
    results = await fan_out(
        clients,
        {"fan-a": ask("task 20 0.5: progress"), "fan-b": ask("hello")},
        context=ClientCallContext(timeout=DEADLINE_S),
        sequential=sequential,
    )

    # Had the call waited for fan-a's ten seconds of progress, it would be ok.
    assert results["fan-a"].status == "timeout"
    assert results["fan-b"].status == ("timeout" if sequential else "ok")


@pytest.mark.parametrize("helper", ["fan_out", "scatter"])
async def test_an_unknown_agent_is_an_error_result_not_a_hang(
    clients: AgentClients, helper: str
) -> None:
    """An agent that does not exist is an error naming it at once, not a wait for the deadline."""
    context = ClientCallContext(timeout=120)

    async with asyncio.timeout(30):  # a quarter of the deadline: "at once", generously
        if helper == "scatter":
            results = await scatter(clients, ["fan-a", NOBODY], ask("hello"), context=context)
        else:
            results = await fan_out(
                clients, {"fan-a": ask("hello"), NOBODY: ask("hello")}, context=context
            )

    assert statuses(results) == {"fan-a": "ok", NOBODY: "error"}
    assert "AgentNotFoundError" in (results[NOBODY].error or "")
    assert NOBODY in (results[NOBODY].error or "")


# -- deadline propagation ------------------------------------------------------------------


@pytest.mark.parametrize("helper", ["fan_out", "scatter"])
async def test_sub_calls_carry_a_deadline_no_later_than_the_outer_one(
    clients: AgentClients, fleet: Fleet, helper: str
) -> None:
    """The relay's calls to the echoes carry a deadline, no later than the relay's own."""
    text = f"{helper} deadline {uuid.uuid4().hex[:8]}"
    client = await clients.get(RELAY)

    events = [e async for e in client.send_message(ask(text), context=within(20))]

    assert events[-1].message.parts[0].text == "fan-a=ok fan-b=ok"
    outer = fleet.seen[RELAY, text]
    assert outer.known
    assert outer.at_ms is not None
    for agent in FAST:
        inner = fleet.seen[agent, text]
        assert inner.known
        assert inner.at_ms is not None
        assert inner.at_ms <= outer.at_ms


@pytest.mark.parametrize("helper", ["fan_out", "scatter"])
async def test_sub_calls_of_work_without_deadline_carry_none(
    clients: AgentClients, fleet: Fleet, helper: str
) -> None:
    """Asynchronous work (no deadline) makes calls without deadline, over either transport."""
    text = f"{helper} no deadline {uuid.uuid4().hex[:8]}"
    client = await clients.get(RELAY)

    events = [e async for e in client.send_message(ask(text), context=no_deadline_context(30))]

    assert events[-1].message.parts[0].text == "fan-a=ok fan-b=ok"
    assert fleet.seen[RELAY, text] == IncomingDeadline(known=True, at_ms=None)
    for agent in FAST:
        assert fleet.seen[agent, text] == IncomingDeadline(known=True, at_ms=None)


# -- abandoning a fan-out ------------------------------------------------------------------


@pytest.mark.parametrize("helper", ["fan_out", "scatter"])
async def test_abandoning_a_fan_out_cancels_the_tasks_it_started(fleet: Fleet, helper: str) -> None:
    """Over Kafka, cancelling the awaiting task cancels the tasks the agents had started."""
    clients = fleet.callers["kafka"]
    context_id = str(uuid.uuid4())
    request = ask("task 100 0.2: long", context_id)
    context = ClientCallContext(timeout=60)
    work: Coroutine[Any, Any, dict[str, AgentResult]] = (
        scatter(clients, list(FAST), request, context=context)
        if helper == "scatter"
        else fan_out(clients, dict.fromkeys(FAST, request), context=context)
    )
    call = asyncio.create_task(work)
    started: dict[str, Task] = {}
    for _ in range(100):
        for agent in FAST:
            found = await working_in(clients, agent, context_id)
            # Two artifacts in, the caller has long had the event that named the task.
            if found and len(found[0].artifacts) >= 2:
                started[agent] = found[0]
        if len(started) == len(FAST):
            break
        await asyncio.sleep(0.1)
    assert sorted(started) == sorted(FAST), "the echo tasks did not start"

    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    ended = {agent: await wait_terminal(clients, agent, t.id) for agent, t in started.items()}

    for agent, task in ended.items():
        assert task.status.state == TaskState.TASK_STATE_CANCELED, agent
        assert len(task.artifacts) < 100
