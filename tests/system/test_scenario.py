"""The seed's scenario end to end on the real broker: report, persistence, recovery."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from .conftest import Team


async def ask(gateway: str, question: str, **extra: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as http:
        return await http.post("/v1/ask", json={"question": question, **extra})


def report_data(answer: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in answer["data"] if d.get("schema") == "agentbus.balance.report/v1")


async def test_the_scenario_question_gets_a_report_from_the_database(team: Team) -> None:
    """'테란 승률 분석' through the gateway: a Korean report with numbers from both agents."""
    for name in ("data", "cs", "balance", "gateway"):
        await team.start(name)

    first = await ask(team.urls["gateway"], "테란 승률 분석")
    again = await ask(team.urls["gateway"], "테란 승률 분석")
    other_patch = await ask(team.urls["gateway"], "테란 승률 분석 5.0.13")

    assert first.status_code == 200
    report = report_data(first.json())
    assert report["sources"]["data"]["status"] == "ok"
    assert report["sources"]["cs"]["status"] == "ok"
    assert report["missing"] == {}
    assert first.json()["text"].startswith("# 밸런스 보고서 — 테란")
    assert report_data(again.json())["findings"] == report["findings"]
    assert report_data(other_patch.json())["findings"] != report["findings"]
    assert report_data(other_patch.json())["patch"] == "5.0.13"


async def test_a_missing_agent_gives_a_partial_report_in_time(team: Team) -> None:
    """With cs down, a synchronous ask still answers by its deadline, naming cs as missing."""
    for name in ("data", "cs", "balance", "gateway"):
        await team.start(name)
    await team.stop("cs")

    answer = await ask(team.urls["gateway"], "analyse Terran win rates")

    assert answer.status_code == 200
    report = report_data(answer.json())
    assert report["sources"]["data"]["status"] == "ok"
    assert report["sources"]["cs"]["status"] == "timeout"
    assert "cs" in report["missing"]
    assert report["findings"]


async def test_a_task_queued_while_data_is_down_completes_after_it_returns(team: Team) -> None:
    """A task submitted with data down waits, completes after data returns, survives restarts."""
    for name in ("data", "cs", "balance", "gateway"):
        await team.start(name)
    await team.stop("data")

    async with httpx.AsyncClient(base_url=team.urls["gateway"], timeout=30) as http:
        accepted = await http.post("/v1/tasks", json={"question": "테란 승률 분석"})
        task_id = accepted.json()["id"]
        await asyncio.sleep(3)
        while_down = (await http.get(f"/v1/tasks/{task_id}")).json()
    await team.start("data")
    async with httpx.AsyncClient(base_url=team.urls["gateway"], timeout=30) as http:
        for _ in range(300):
            done = (await http.get(f"/v1/tasks/{task_id}")).json()
            if done["state"] in {"completed", "failed"}:
                break
            await asyncio.sleep(0.1)
    await team.stop("gateway")
    await team.start("gateway")
    async with httpx.AsyncClient(base_url=team.urls["gateway"], timeout=30) as http:
        after_restart = await http.get(f"/v1/tasks/{task_id}")

    assert accepted.status_code == 202
    assert while_down["state"] == "working"
    assert done["state"] == "completed"
    report = report_data(done)
    assert report["sources"]["data"]["status"] == "ok"
    assert after_restart.status_code == 200
    assert after_restart.json()["state"] == "completed"
    assert after_restart.json()["text"] == done["text"]
