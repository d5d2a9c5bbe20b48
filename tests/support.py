"""Helpers for tests that run agents in-process against the real broker.

``serve`` runs any ASGI app with uvicorn on a loopback port; ``kafka_settings``
describes a deployment on the test broker with small test timeouts;
``kafka_caller`` is a started bus with a registry and ``AgentClients``, as every
calling process has; ``http_settings`` is the same deployment over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from a2a.helpers import get_data_parts, get_text_parts
from a2a.server.agent_execution import AgentExecutor
from a2a.server.context import ServerCallContext
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.tasks import InMemoryTaskStore
from a2a.types import (
    AgentCard,
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskState,
)

from agentbus import (
    AgentbusSettings,
    AgentClients,
    AgentRegistry,
    AgentSpec,
    KafkaBus,
    create_agent_app,
    load_settings,
)

TERMINAL = frozenset(
    {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED}
)
"""The states a task ends in."""

__all__ = [
    "TERMINAL",
    "ask_agent",
    "ask_handler",
    "free_port",
    "handler_for",
    "http_settings",
    "kafka_caller",
    "kafka_settings",
    "only_answer",
    "serve",
    "served_both_ways",
    "user_message",
    "wait_terminal",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def kafka_settings(bootstrap: str, **overrides: Any) -> AgentbusSettings:
    """Settings of a Kafka deployment on the test broker, with small test timeouts."""
    base: dict[str, Any] = {
        "transport": "kafka",
        "kafka": {"bootstrap_servers": bootstrap},
        "topics": {"request_partitions": 4, "response_partitions": 2, "shared_partitions": 2},
        "calls": {"timeout_s": 15},
        "ops": {"host": "127.0.0.1", "port": free_port(), "a2a_http": False},
    }
    for key, value in overrides.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) and key in base else value
    return load_settings(**base)


@contextlib.asynccontextmanager
async def serve(app: Any, port: int) -> AsyncIterator[str]:
    """Serve ``app`` on ``port`` until the block ends; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped while starting")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def kafka_caller(
    settings: AgentbusSettings, name: str = "tests"
) -> AsyncIterator[AgentClients]:
    """A started bus with a registry, as any calling process has."""
    bus = KafkaBus(settings, name=name)
    registry = AgentRegistry(bus)
    clients = AgentClients(settings, bus=bus, registry=registry)
    await bus.start()
    try:
        yield clients
    finally:
        await clients.aclose()
        await registry.close()
        await bus.stop()


def http_settings(bootstrap: str, agents: dict[str, str], **overrides: Any) -> AgentbusSettings:
    """The same deployment over HTTP, reaching ``agents`` (name -> base URL)."""
    return kafka_settings(
        bootstrap, transport="http", http={"agents": agents}, ops={"port": free_port()}, **overrides
    )


def user_message(*parts: Part) -> SendMessageRequest:
    """A send request of a user message with ``parts`` and a fresh id."""
    return SendMessageRequest(
        message=Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=list(parts))
    )


def handler_for(executor: AgentExecutor, name: str) -> DefaultRequestHandler:
    """The SDK's request handler around ``executor`` with an in-memory task store."""
    return DefaultRequestHandler(
        agent_executor=executor, task_store=InMemoryTaskStore(), agent_card=AgentCard(name=name)
    )


async def ask_handler(handler: DefaultRequestHandler, *parts: Part) -> Task:
    """Send ``parts`` through the handler (blocking) and return the task it produced."""
    result = await handler.on_message_send(user_message(*parts), ServerCallContext())
    assert isinstance(result, Task)
    return result


def only_answer(task: Task) -> tuple[str, dict[str, Any]]:
    """The text and data of a task's single artifact with one text and one data part."""
    (artifact,) = task.artifacts
    (text,) = get_text_parts(artifact.parts)
    (data,) = get_data_parts(artifact.parts)
    return text, data


async def ask_agent(clients: AgentClients, agent: str, *parts: Part) -> Task:
    """Ask ``agent`` through ``clients`` (blocking); return the completed task."""
    client = await clients.get(agent)
    events: list[StreamResponse] = [e async for e in client.send_message(user_message(*parts))]
    task = events[-1].task
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    return task


async def wait_terminal(
    clients: AgentClients, agent: str, task_id: str, *, within_s: float = 10.0
) -> Task:
    """``agent``'s task ``task_id`` once it has ended; fails after ``within_s`` seconds."""
    client = await clients.get(agent)
    for _ in range(int(within_s / 0.05)):
        task = await client.get_task(GetTaskRequest(id=task_id))
        if task.status.state in TERMINAL:
            return task
        await asyncio.sleep(0.05)
    raise AssertionError(f"{agent}'s task {task_id} did not end within {within_s:g} s")


@contextlib.asynccontextmanager
async def served_both_ways(
    bootstrap: str, spec: AgentSpec, *, topics: dict[str, Any]
) -> AsyncIterator[dict[str, AgentClients]]:
    """Serve ``spec`` over Kafka and over HTTP; yield a caller for each transport.

    ``topics`` (a prefix) keeps this agent's consumer group apart from other tests'
    agents of the same name on the shared broker.
    """
    kafka_cfg = kafka_settings(bootstrap, topics=topics)
    http_cfg = kafka_settings(bootstrap, transport="http", ops={"port": free_port()})
    async with (
        serve(create_agent_app(kafka_cfg, spec), kafka_cfg.ops.port),
        serve(create_agent_app(http_cfg, spec), http_cfg.ops.port) as http_url,
        kafka_caller(kafka_settings(bootstrap, topics=topics)) as kafka,
    ):
        http = AgentClients(http_settings(bootstrap, {spec.name: http_url}))
        try:
            yield {"kafka": kafka, "http": http}
        finally:
            await http.aclose()
