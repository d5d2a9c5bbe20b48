"""Load for the chaos scenarios: many blocking A2A calls, each with its own ``messageId``.

A call that the broker did not acknowledge (``BrokerUnavailableError``) is sent
again with the same ``messageId``, as a careful client does; the agents treat
``messageId`` as the idempotency key, so the retry cannot cause a second task.
Every other outcome is final and recorded, so the figures count what callers saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from a2a.client import Client, ClientCallContext
from a2a.types import Message, Part, Role, SendMessageRequest, Task, TaskState

from agentbus import (
    AgentbusSettings,
    AgentClients,
    AgentRegistry,
    BrokerUnavailableError,
    KafkaBus,
    load_settings,
)

__all__ = ["Caller", "Outcome", "caller", "caller_settings", "drive", "request_for"]


@dataclass
class Outcome:
    """What one request's caller saw."""

    message_id: str
    sent_at: float
    ended_at: float = 0.0
    state: str = "pending"
    """``completed`` or another task state, or the class name of the error raised."""
    task_id: str | None = None
    answered_message_id: str | None = None
    attempts: int = 0
    acked: bool = False
    """Whether the broker acknowledged the request (any attempt got past the send)."""
    error: str | None = None

    @property
    def completed(self) -> bool:
        """The call returned its own request's task, completed."""
        return self.state == "completed" and self.answered_message_id == self.message_id

    @property
    def seconds(self) -> float:
        """From the first send to the final outcome."""
        return self.ended_at - self.sent_at


@dataclass
class Caller:
    """A calling process's bus and clients, as every agentbus caller has."""

    settings: AgentbusSettings
    bus: KafkaBus
    clients: AgentClients
    outcomes: list[Outcome] = field(default_factory=list)

    async def client(self, agent: str) -> Client:
        """The blocking a2a-sdk client of ``agent``."""
        return await self.clients.get(agent)


def caller_settings(bootstrap: str, prefix: str, **overrides: Any) -> AgentbusSettings:
    """Settings of the chaos caller: the scenario's topic prefix, the test broker."""
    return load_settings(
        transport="kafka",
        kafka={"bootstrap_servers": bootstrap},
        topics={"prefix": prefix},
        ops={"host": "127.0.0.1", "port": 0, "a2a_http": False},
        **overrides,
    )


@contextlib.asynccontextmanager
async def caller(settings: AgentbusSettings, name: str = "chaos") -> AsyncIterator[Caller]:
    """A started caller on ``settings``; stopped when the block ends."""
    bus = KafkaBus(settings, name=name)
    registry = AgentRegistry(bus)
    clients = AgentClients(settings, bus=bus, registry=registry)
    await bus.start()
    try:
        yield Caller(settings, bus, clients)
    finally:
        await clients.aclose()
        await registry.close()
        await bus.stop()


def request_for(question: str, message_id: str | None = None) -> SendMessageRequest:
    """A send request of one user question."""
    return SendMessageRequest(
        message=Message(
            role=Role.ROLE_USER,
            message_id=message_id or str(uuid.uuid4()),
            parts=[Part(text=question)],
        )
    )


async def call_once(
    client: Client, question: str, *, timeout: float, give_up_after: float
) -> Outcome:
    """One request until it has a final outcome; unacknowledged sends are retried."""
    request = request_for(question)
    outcome = Outcome(request.message.message_id, time.monotonic())
    while True:
        outcome.attempts += 1
        try:
            last: Task | None = None
            async for event in client.send_message(
                request, context=ClientCallContext(timeout=timeout)
            ):
                if event.HasField("task"):
                    last = event.task
            outcome.acked = True
            if last is None:
                outcome.state = "no-task"
            else:
                outcome.task_id = last.id
                outcome.state = _state_name(last.status.state)
                if last.history:
                    outcome.answered_message_id = last.history[0].message_id
        except BrokerUnavailableError as exc:
            if time.monotonic() - outcome.sent_at < give_up_after:
                await asyncio.sleep(0.5)
                continue
            outcome.state, outcome.error = type(exc).__name__, str(exc)
        except Exception as exc:  # noqa: BLE001 - every other failure is an outcome to count
            outcome.acked = outcome.acked or type(exc).__name__ != "AgentNotFoundError"
            outcome.state, outcome.error = type(exc).__name__, str(exc)
        outcome.ended_at = time.monotonic()
        return outcome


async def drive(
    client: Client,
    questions: Sequence[str],
    *,
    concurrency: int,
    timeout: float,
    give_up_after: float = 120.0,
    on_done: Callable[[Outcome, int], None] | None = None,
) -> list[Outcome]:
    """Send every question (``concurrency`` at a time); return the outcomes in send order."""
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(question: str) -> Outcome:
        nonlocal done
        async with gate:
            outcome = await call_once(
                client, question, timeout=timeout, give_up_after=give_up_after
            )
        done += 1
        if on_done is not None:
            on_done(outcome, done)
        return outcome

    return list(await asyncio.gather(*(one(q) for q in questions)))


def _state_name(state: int) -> str:
    return TaskState.Name(state).removeprefix("TASK_STATE_").lower()
