"""The balance agent with data and cs, served over Kafka and over HTTP, asked through AgentClients.

Each team lives under its own topic prefix, so its agents never read another test's
requests on the shared broker.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from a2a.client import ClientCallContext
from a2a.types import (
    CancelTaskRequest,
    ListTasksRequest,
    Part,
    Task,
    TaskState,
)

from agentbus import AgentClients, create_agent_app, no_deadline_context
from agentbus.localkafka import LocalKafka
from agentbus.provisioning import agent_topic_specs, ensure_topics
from balance_agent.app import create_spec as balance_spec
from balance_agent.settings import BalanceSettings
from cs_agent.app import create_spec as cs_spec
from cs_agent.settings import CsSettings
from data_agent.app import create_spec as data_spec
from data_agent.dataset import MatchDatabase
from data_agent.settings import MIN_MATCHES, DataSettings
from tests.data_agent.conftest import SEED
from tests.support import (
    free_port,
    http_settings,
    kafka_caller,
    kafka_settings,
    only_answer,
    serve,
    user_message,
    wait_terminal,
)

PREFIX = "balance-agent-tests"
SCHEMA = "agentbus.balance.report/v1"


@contextlib.asynccontextmanager
async def team(
    bootstrap: str,
    transport: str,
    database: MatchDatabase,
    *,
    prefix: str,
    down: Sequence[str] = (),
    data: DataSettings | None = None,
    balance: BalanceSettings | None = None,
) -> AsyncIterator[AgentClients]:
    """Data, cs and balance over ``transport``; yields a caller of balance.

    The agents named in ``down`` are deployed but not running: over Kafka their topics
    exist with nobody reading them, over HTTP their URL has nobody listening.
    """
    members = {
        "data": data_spec(
            data or DataSettings(db_path=database.path, seed=SEED, matches=MIN_MATCHES)
        ),
        "cs": cs_spec(CsSettings()),
    }
    orchestrator = balance_spec(balance or BalanceSettings())
    async with contextlib.AsyncExitStack() as stack:
        if transport == "kafka":
            settings = kafka_settings(bootstrap, topics={"prefix": prefix})
            specs = [spec for name in down for spec in agent_topic_specs(settings, name)]
            await ensure_topics({"bootstrap_servers": bootstrap}, specs)
            for spec in [s for name, s in members.items() if name not in down] + [orchestrator]:
                on_kafka = kafka_settings(bootstrap, topics={"prefix": prefix})
                app = create_agent_app(on_kafka, spec)
                await stack.enter_async_context(serve(app, on_kafka.ops.port))
            yield await stack.enter_async_context(kafka_caller(settings))
            return
        urls: dict[str, str] = {}
        for name, spec in members.items():
            if name in down:
                urls[name] = f"http://127.0.0.1:{free_port()}"
                continue
            on_http = kafka_settings(bootstrap, transport="http", ops={"port": free_port()})
            app = create_agent_app(on_http, spec)
            urls[name] = await stack.enter_async_context(serve(app, on_http.ops.port))
        on_http = http_settings(bootstrap, urls)
        app = create_agent_app(on_http, orchestrator)
        balance_url = await stack.enter_async_context(serve(app, on_http.ops.port))
        clients = AgentClients(http_settings(bootstrap, {"balance": balance_url}))
        stack.push_async_callback(clients.aclose)
        yield clients


@pytest.fixture(scope="module")
async def teams(
    kafka: LocalKafka, database: MatchDatabase
) -> AsyncIterator[dict[str, AgentClients]]:
    bootstrap = kafka.bootstrap_servers
    async with (
        team(bootstrap, "kafka", database, prefix=f"{PREFIX}.") as on_kafka,
        team(bootstrap, "http", database, prefix=f"{PREFIX}.") as on_http,
    ):
        yield {"kafka": on_kafka, "http": on_http}


@pytest.fixture(params=["kafka", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def report_of(
    clients: AgentClients, question: str, context: ClientCallContext | None = None
) -> tuple[str, dict[str, Any]]:
    """Ask balance (blocking); return the report's text and its DataPart."""
    client = await clients.get("balance")
    events = [
        e async for e in client.send_message(user_message(Part(text=question)), context=context)
    ]
    task = events[-1].task
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    text, data = only_answer(task)
    assert data["schema"] == SCHEMA
    return text, data


async def test_a_korean_question_gets_a_korean_report_from_both_agents(
    teams: dict[str, AgentClients], transport: str
) -> None:
    """'테란 승률 분석' gets a Korean report on Terran with both data and cs answering."""
    text, report = await report_of(teams[transport], "테란 승률 분석")

    assert text.startswith("# 밸런스 보고서 — 테란")
    assert {agent: s["status"] for agent, s in report["sources"].items()} == {
        "data": "ok",
        "cs": "ok",
    }
    assert report["missing"] == {}
    assert report["scope"]["language"] == "ko"
    assert {f["subject"] for f in report["findings"]} == {"terran", "TvZ", "TvP"}
    assert report["community"]["complaints_by_race"]["terran"]["count"] > 0


async def test_an_english_question_gets_an_english_report(
    teams: dict[str, AgentClients], transport: str
) -> None:
    """An English question gets the report in English, with both sources ok."""
    text, report = await report_of(teams[transport], "analyse Terran win rates")

    assert text.startswith("# Balance report — Terran")
    assert "## Verdicts (data agent)" in text
    assert report["scope"]["language"] == "en"
    assert report["sources"]["data"]["status"] == "ok"
    assert report["sources"]["cs"]["status"] == "ok"


async def test_with_cs_down_the_report_arrives_by_the_deadline_without_it(
    kafka: LocalKafka, database: MatchDatabase, transport: str
) -> None:
    """With cs deployed but down, balance answers by its deadline with data's findings.

    Over Kafka cs's requests wait in its topic, so balance stops waiting at its
    deadline (timeout); over HTTP nobody listens at its URL (error).
    """
    deadline_s = 3.0
    prefix = f"{PREFIX}-cs-down."
    expected = "timeout" if transport == "kafka" else "error"

    async with team(
        kafka.bootstrap_servers,
        transport,
        database,
        prefix=prefix,
        down=["cs"],
        balance=BalanceSettings(deadline_s=deadline_s),
    ) as clients:
        text, report = await report_of(
            clients, "analyse Terran win rates", ClientCallContext(timeout=deadline_s + 10)
        )

    assert report["sources"]["data"]["status"] == "ok"
    assert report["sources"]["cs"]["status"] == expected
    # Balance gave cs its own deadline, not the longer wait its caller allowed.
    assert report["sources"]["cs"]["elapsed_s"] <= deadline_s
    assert list(report["missing"]) == ["cs"]
    assert report["findings"]
    assert report["community"] is None
    assert "## Missing parts" in text


async def data_task_of(clients: AgentClients, context_id: str) -> Task | None:
    """The data agent's working task in conversation ``context_id``, if it has one.

    Filtered here, not by the agent: a listing by ``contextId`` is served in order with
    that conversation's requests, so it would wait for the very task it looks for.
    """
    client = await clients.get("data")
    listed = await client.list_tasks(
        ListTasksRequest(status=TaskState.TASK_STATE_WORKING, page_size=100)
    )
    return next((t for t in listed.tasks if t.context_id == context_id), None)


async def test_cancelling_the_balance_task_cancels_its_calls_to_the_team(
    kafka: LocalKafka, database: MatchDatabase
) -> None:
    """Over Kafka, cancelling a balance task cancels the task it started on the data agent."""
    slow_data = DataSettings(
        db_path=database.path, seed=SEED, matches=MIN_MATCHES, simulated_work_s=20
    )

    async with team(
        kafka.bootstrap_servers, "kafka", database, prefix=f"{PREFIX}-cancel.", data=slow_data
    ) as clients:
        polling = await clients.get("balance", polling=True)
        request = user_message(Part(text="테란 승률 분석"))
        events = [e async for e in polling.send_message(request, context=no_deadline_context(30))]
        asked = events[-1].task
        data_task = None
        for _ in range(100):
            data_task = await data_task_of(clients, asked.context_id)
            if data_task is not None:
                break
            await asyncio.sleep(0.1)
        assert data_task is not None, "balance did not get data working"
        # Stored as working, the data task's first event is on its way to balance; let it land.
        await asyncio.sleep(0.5)

        client = await clients.get("balance")
        cancelled = await client.cancel_task(CancelTaskRequest(id=asked.id))
        data_after = await wait_terminal(clients, "data", data_task.id)

    assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
    assert data_after.status.state == TaskState.TASK_STATE_CANCELED
    assert not data_after.artifacts
