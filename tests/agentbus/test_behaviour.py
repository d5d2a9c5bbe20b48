"""One behavioural suite, run over Kafka and over HTTP with the same assertions."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from a2a.client import A2AClientTimeoutError, ClientCallContext
from a2a.types import (
    CancelTaskRequest,
    GetExtendedAgentCardRequest,
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    TaskState,
)
from a2a.utils.errors import InvalidParamsError, TaskNotFoundError

from agentbus import AgentClients, AgentNotFoundError
from tests.support import TERMINAL, wait_terminal


def message(text: str) -> SendMessageRequest:
    return SendMessageRequest(
        message=Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=text)])
    )


async def collect(stream: object) -> list[StreamResponse]:
    return [event async for event in stream]  # type: ignore[attr-defined]


async def test_blocking_send_returns_the_agents_message(clients: AgentClients) -> None:
    """A blocking send returns the reply message of the agent."""
    client = await clients.get("echo")

    events = await collect(client.send_message(message("hello there")))

    assert len(events) == 1
    assert events[0].message.parts[0].text == "echo: hello there"
    assert events[0].message.role == Role.ROLE_AGENT


async def test_blocking_send_of_a_task_waits_for_its_result(clients: AgentClients) -> None:
    """A blocking send of task work returns the completed task with every artifact."""
    client = await clients.get("echo")

    events = await collect(client.send_message(message("task 3 0.01: count")))

    task = events[-1].task
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert [a.parts[0].text for a in task.artifacts] == [
        "count [1/3]",
        "count [2/3]",
        "count [3/3]",
    ]


async def test_non_blocking_send_returns_at_once_and_work_continues(clients: AgentClients) -> None:
    """A non-blocking send returns the unfinished task; polling later finds it completed."""
    client = await clients.get("echo", polling=True)

    events = await collect(client.send_message(message("task 2 0.3: slow")))
    first = events[-1].task
    done = await wait_terminal(clients, "echo", first.id)

    assert first.status.state not in TERMINAL
    assert done.status.state == TaskState.TASK_STATE_COMPLETED
    assert len(done.artifacts) == 2


async def test_streaming_send_yields_events_in_order_until_the_end(clients: AgentClients) -> None:
    """A streaming send yields the task, its progress in order, and ends after the final state."""
    client = await clients.get("echo", streaming=True)

    events = await collect(client.send_message(message("task 4 0.01: stream")))

    kinds = [e.WhichOneof("payload") for e in events]
    assert kinds[0] == "task"
    artifacts = [
        e.artifact_update.artifact.parts[0].text for e in events if e.HasField("artifact_update")
    ]
    assert artifacts == [f"stream [{i}/4]" for i in range(1, 5)]
    assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED


async def test_get_task_returns_the_stored_task(clients: AgentClients) -> None:
    """Get task returns the state the agent stored, with its artifacts."""
    client = await clients.get("echo")
    events = await collect(client.send_message(message("task 1 0: store me")))
    task_id = events[-1].task.id

    task = await client.get_task(GetTaskRequest(id=task_id))

    assert task.id == task_id
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert task.artifacts[0].parts[0].text == "store me [1/1]"


async def test_get_task_of_an_unknown_id_is_task_not_found(clients: AgentClients) -> None:
    """Asking for a task that does not exist raises the A2A TaskNotFound error."""
    client = await clients.get("echo")

    with pytest.raises(TaskNotFoundError):
        await client.get_task(GetTaskRequest(id=str(uuid.uuid4())))


async def test_cancel_stops_a_running_task(clients: AgentClients) -> None:
    """Cancelling a running task ends it as canceled, and it stays canceled."""
    polling = await clients.get("echo", polling=True)
    client = await clients.get("echo")
    events = await collect(polling.send_message(message("task 50 0.1: long")))
    task_id = events[-1].task.id

    cancelled = await client.cancel_task(CancelTaskRequest(id=task_id))
    later = await wait_terminal(clients, "echo", task_id)

    assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
    assert later.status.state == TaskState.TASK_STATE_CANCELED
    assert len(later.artifacts) < 50


async def test_invalid_parameters_give_the_a2a_invalid_params_error(clients: AgentClients) -> None:
    """A request the agent rejects as invalid surfaces as InvalidParamsError."""
    client = await clients.get("echo")

    with pytest.raises(InvalidParamsError, match="steps must be"):
        await collect(client.send_message(message("task 9999 0: too many")))


async def test_a_call_times_out_with_a_timeout_error(clients: AgentClients) -> None:
    """A call that outlives its timeout fails with the SDK's timeout error."""
    client = await clients.get("echo")

    with pytest.raises(A2AClientTimeoutError):
        await collect(
            client.send_message(message("task 1 3: slow"), context=ClientCallContext(timeout=0.5))
        )


async def test_an_unknown_agent_fails_fast(clients: AgentClients) -> None:
    """Calling an agent that does not exist fails at once with AgentNotFoundError."""

    async def call() -> None:
        client = await clients.get("nobody-here")
        await collect(client.send_message(message("hi"), context=ClientCallContext(timeout=30)))

    with pytest.raises(AgentNotFoundError, match="nobody-here"):
        await asyncio.wait_for(call(), timeout=10)


async def test_the_agent_card_names_the_agent_and_its_interface(clients: AgentClients) -> None:
    """The agent card is found by name and lists the interface of the transport in use."""
    card = await clients.card("echo")
    client = await clients.get("echo")

    extended = await client.get_extended_agent_card(GetExtendedAgentCardRequest())

    assert card.name == "echo"
    bindings = {i.protocol_binding for i in card.supported_interfaces}
    assert ("KAFKA" if clients.transport == "kafka" else "JSONRPC") in bindings
    assert extended.name == "echo"
    assert [s.id for s in extended.skills] == ["echo"]
