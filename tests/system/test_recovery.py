"""Two replicas of an agent as real processes: a crash mid-task, and a cancel from afar."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from a2a.client import ClientCallContext
from a2a.types import (
    CancelTaskRequest,
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    Task,
    TaskState,
)
from aiokafka import AIOKafkaConsumer

from agentbus.localkafka import LocalKafka
from agentbus.wire import decode_headers
from devstack.processes import ServiceGroup
from tests.support import kafka_caller, kafka_settings


@pytest.fixture
async def pair(kafka: LocalKafka, tmp_path: Path) -> AsyncIterator[tuple[ServiceGroup, str]]:
    """Two echo replicas (one consumer group) as processes, on a topic prefix of their own."""
    prefix = f"rec{uuid.uuid4().hex[:6]}."
    env = {
        "AGENTBUS_TRANSPORT": "kafka",
        "AGENTBUS_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "AGENTBUS_TOPICS__PREFIX": prefix,
        "AGENTBUS_TOPICS__REQUEST_PARTITIONS": "4",
        "AGENTBUS_KAFKA__SESSION_TIMEOUT_MS": "6000",
    }
    group = ServiceGroup(log_dir=tmp_path / "logs")
    group.add("echo-1", "echo_agent", env)
    group.add("echo-2", "echo_agent", env)
    with contextlib.ExitStack() as stack:
        await asyncio.to_thread(stack.enter_context, group.running(timeout=90))
        yield group, prefix
        await asyncio.to_thread(stack.close)


def request(text: str) -> SendMessageRequest:
    return SendMessageRequest(
        message=Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=text)])
    )


async def writers_of(bootstrap: str, topic: str, text: str) -> tuple[str | None, set[str]]:
    """The task whose question is ``text``, and every process that wrote its snapshots."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    task_id, writers = None, set()
    try:
        batches = await consumer.getmany(timeout_ms=2000)
        for records in batches.values():
            for record in records:
                headers = decode_headers(record.headers)
                if headers.get("agentbus-write-kind") != "cas" or not record.value:
                    continue
                task = Task.FromString(record.value)
                if task.history and task.history[0].parts[0].text == text:
                    task_id = task.id
                    writers.add(headers.get("agentbus-writer", ""))
    finally:
        await consumer.stop()
    return task_id, writers


@pytest.mark.timeout(180)
async def test_a_task_whose_replica_crashes_is_resumed_by_the_other(
    pair: tuple[ServiceGroup, str], kafka: LocalKafka
) -> None:
    """Kill -9 of the replica running a task: the other resumes it; the caller gets the answer."""
    group, prefix = pair
    text = f"task 30 0.2: survive {uuid.uuid4().hex[:6]}"
    async with kafka_caller(
        kafka_settings(kafka.bootstrap_servers, topics={"prefix": prefix})
    ) as clients:
        client = await clients.get("echo")
        call = asyncio.create_task(_last(client, request(text), ClientCallContext(timeout=120)))
        await asyncio.sleep(2.0)
        task_id, writers = await writers_of(kafka.bootstrap_servers, f"{prefix}agent.tasks", text)
        victim = next(s for s in group.services if any(f"-{s.process.pid}-" in w for w in writers))  # type: ignore[union-attr]
        os.kill(victim.process.pid, signal.SIGKILL)  # type: ignore[union-attr]

        answer = await call
        _, all_writers = await writers_of(kafka.bootstrap_servers, f"{prefix}agent.tasks", text)

    assert answer.task.id == task_id
    assert answer.task.status.state == TaskState.TASK_STATE_COMPLETED
    assert len(answer.task.artifacts) == 30  # resumed, and no artifact twice
    assert len(all_writers) == 2  # one replica started it, the other finished it


async def _last(client: object, req: SendMessageRequest, context: ClientCallContext) -> object:
    last = None
    async for event in client.send_message(req, context=context):  # type: ignore[attr-defined]
        last = event
    return last


@pytest.mark.timeout(120)
async def test_cancel_reaches_the_replica_running_the_task(
    pair: tuple[ServiceGroup, str], kafka: LocalKafka
) -> None:
    """Cancelling stops the task on whichever replica runs it, whichever replica gets the cancel."""
    _, prefix = pair
    async with kafka_caller(
        kafka_settings(kafka.bootstrap_servers, topics={"prefix": prefix})
    ) as clients:
        polling = await clients.get("echo", polling=True)
        client = await clients.get("echo")
        started = [
            await _last(polling, request(f"task 100 0.1: c{i}"), ClientCallContext(timeout=30))
            for i in range(6)
        ]
        await asyncio.sleep(1.0)
        cancelled = [
            await client.cancel_task(CancelTaskRequest(id=s.task.id))
            for s in started  # type: ignore[attr-defined]
        ]
        await asyncio.sleep(1.0)
        first = [await client.get_task(GetTaskRequest(id=s.task.id)) for s in started]  # type: ignore[attr-defined]
        await asyncio.sleep(1.5)
        later = [await client.get_task(GetTaskRequest(id=s.task.id)) for s in started]  # type: ignore[attr-defined]

    assert all(c.status.state == TaskState.TASK_STATE_CANCELED for c in cancelled)
    assert all(t.status.state == TaskState.TASK_STATE_CANCELED for t in later)
    assert all(len(t.artifacts) < 50 for t in later), [
        (len(f.artifacts), len(t.artifacts)) for f, t in zip(first, later, strict=True)
    ]
    assert [len(t.artifacts) for t in later] == [len(t.artifacts) for t in first]  # stopped
