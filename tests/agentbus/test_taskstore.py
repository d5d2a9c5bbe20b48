"""The task log on the real broker: compare-and-set writes every replica agrees on."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from a2a.server.cluster import ConcurrentTaskModificationError, TaskVersion
from a2a.server.context import ServerCallContext
from a2a.types import Artifact, Part, Task, TaskState, TaskStatus

from agentbus import KafkaBus
from agentbus.taskstore import KafkaTaskStore
from tests.support import kafka_settings

AGENT = "ledger"


@contextlib.asynccontextmanager
async def replica(bootstrap: str, prefix: str, name: str) -> AsyncIterator[KafkaTaskStore]:
    """The task store of one replica of ``AGENT``, on its own connection to the broker."""
    bus = KafkaBus(kafka_settings(bootstrap, topics={"prefix": prefix}), name=name)
    store = KafkaTaskStore(bus, agent=AGENT)
    await bus.start()
    try:
        yield store
    finally:
        await bus.stop()


def snapshot(task_id: str, state: TaskState, text: str = "") -> Task:
    task = Task(id=task_id, context_id="ctx", status=TaskStatus(state=state))
    if text:
        task.artifacts.append(Artifact(artifact_id=f"{task_id}-a", parts=[Part(text=text)]))
    return task


async def save(store: KafkaTaskStore, task: Task, prev: TaskVersion) -> TaskVersion:
    return await store.save(
        task, event=None, prev=None, prev_version=prev, context=ServerCallContext()
    )


async def view(store: KafkaTaskStore, task_id: str) -> tuple[str, TaskVersion]:
    stored = await store.get(task_id, ServerCallContext())
    assert stored is not None
    return stored.task.artifacts[0].parts[0].text, stored.version


async def seen_by(store: KafkaTaskStore, task_id: str, version: TaskVersion) -> None:
    """Wait until ``store`` has applied ``version`` of the task (progress is not waited for)."""
    async with asyncio.timeout(10):
        while (stored := await store.get(task_id, ServerCallContext())) is None or (
            stored.version != version
        ):
            await store.catch_up()  # one end-offset query per round


async def test_racing_final_writes_have_one_winner_every_replica_agrees_on(
    bootstrap_servers: str,
) -> None:
    prefix = f"ts-{uuid.uuid4().hex[:8]}."
    winners: list[str] = []
    async with (
        replica(bootstrap_servers, prefix, "one") as one,
        replica(bootstrap_servers, prefix, "two") as two,
    ):
        task_ids = []
        for _ in range(30):
            task_id = str(uuid.uuid4())
            first = await save(
                one, snapshot(task_id, TaskState.TASK_STATE_WORKING), TaskVersion.MISSING
            )
            await two.catch_up()
            outcomes = await asyncio.gather(
                save(one, snapshot(task_id, TaskState.TASK_STATE_COMPLETED, "one"), first),
                save(two, snapshot(task_id, TaskState.TASK_STATE_COMPLETED, "two"), first),
                return_exceptions=True,
            )
            by_name = dict(zip(("one", "two"), outcomes, strict=True))
            won = [name for name, o in by_name.items() if isinstance(o, TaskVersion)]
            lost = [o for o in outcomes if not isinstance(o, TaskVersion)]
            assert len(won) == 1, outcomes
            assert all(isinstance(o, ConcurrentTaskModificationError) for o in lost), outcomes
            await one.catch_up()
            await two.catch_up()
            assert await view(one, task_id) == await view(two, task_id) == (won[0], by_name[won[0]])
            winners.append(won[0])
            task_ids.append(task_id)
        # A replica that starts later reads the same decisions from the log alone.
        async with replica(bootstrap_servers, prefix, "three") as three:
            await three.catch_up()
            for task_id, winner in zip(task_ids, winners, strict=True):
                assert (await view(three, task_id))[0] == winner
                assert await view(three, task_id) == await view(one, task_id)


async def test_a_write_from_a_stale_version_is_refused_by_every_replica(
    bootstrap_servers: str,
) -> None:
    prefix = f"ts-{uuid.uuid4().hex[:8]}."
    async with (
        replica(bootstrap_servers, prefix, "one") as one,
        replica(bootstrap_servers, prefix, "two") as two,
    ):
        task_id = str(uuid.uuid4())
        working = snapshot(task_id, TaskState.TASK_STATE_WORKING)
        first = await save(one, working, TaskVersion.MISSING)
        await two.catch_up()
        second = await save(one, working, first)  # progress two has not built on
        await seen_by(two, task_id, second)  # so the log orders it before two's write
        with pytest.raises(ConcurrentTaskModificationError):
            await save(two, snapshot(task_id, TaskState.TASK_STATE_FAILED, "stale"), first)
        done = await save(one, snapshot(task_id, TaskState.TASK_STATE_COMPLETED, "done"), second)
        # Once the task has ended, no write replaces it, whatever version it names.
        await two.catch_up()
        with pytest.raises(ConcurrentTaskModificationError):
            await save(two, snapshot(task_id, TaskState.TASK_STATE_FAILED, "late"), done)
        await one.catch_up()
        assert await view(one, task_id) == await view(two, task_id) == ("done", done)
