"""An agent down for a while: callers are not stalled, queued work completes after."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from chaos.common import QUESTIONS, Result, Stage
from chaos.ledger import Ledger, read_ledger
from chaos.load import Caller, Outcome, caller, caller_settings, drive
from chaos.team import Deployment
from devstack.processes import progress

__all__ = ["agent_outage"]

SYNC_TIMEOUT_S = 2.0
"""Deadline of the synchronous calls made while the agent is down."""
SLACK_S = 2.0
"""How much later than its deadline a failed call may return and still be 'fast'."""
TERMINAL = frozenset({"completed", "failed", "canceled", "rejected"})


@dataclass
class _Traffic:
    """What was sent while the agent was down."""

    gateway_asks: list[tuple[int, str, float]] = field(default_factory=list)
    """(HTTP status, error code, seconds) of each synchronous ask through the gateway."""
    direct_calls: list[Outcome] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)


async def agent_outage(
    stage: Stage, *, outage_s: float, then: Callable[[Deployment], Awaitable[None]] | None = None
) -> Result:
    """Stop data for ``outage_s`` while sync calls and async tasks keep arriving.

    Sync calls (through the gateway and straight over Kafka) must fail by their
    deadline with a timeout error, never hang. Every async task (to data, and to
    balance, which needs data) must complete once data is back. Requests whose
    deadline passed while data was down must be refused by it, not worked on.
    ``then`` runs on the recovered deployment afterwards (the bad-input scenario).
    """
    result = Result("agent-outage")
    team = stage.deployment("outage")
    for name in ("data", "cs", "balance", "gateway"):
        team.add(name, name)
    started = time.monotonic()
    try:
        await team.start()
        settings = caller_settings(stage.bootstrap, team.prefix)
        async with (
            httpx.AsyncClient(base_url=team.url("gateway"), timeout=30) as http,
            caller(settings) as me,
        ):
            await team.stop("data")
            progress(f"  data stopped; {outage_s:g} s of sync calls and async tasks")
            traffic = await _while_down(http, me, outage_s, result)
            progress(f"  starting data again; {len(traffic.tasks)} tasks wait for it")
            await team.start("data")
            states = await _wait_tasks(http, traffic.tasks, timeout=180)
        ledger = await _settled_ledger(stage.bootstrap, settings.topics.names.tasks)
        _figures(result, outage_s, traffic, states, ledger)
        result.seconds = time.monotonic() - started
        if then is not None:
            await then(team)
        result.crashes = await team.casualties()
    finally:
        await team.close()
    return result


async def _while_down(
    http: httpx.AsyncClient, me: Caller, outage_s: float, result: Result
) -> _Traffic:
    """Each round: a sync ask via the gateway and one over Kafka at once, then a task."""
    traffic = _Traffic()
    client = await me.client("data")
    loop = asyncio.get_running_loop()
    until = loop.time() + outage_s
    round_no = 0
    while loop.time() < until:
        round_no += 1
        question = QUESTIONS[round_no % len(QUESTIONS)]
        started = time.monotonic()
        response, outcomes = await asyncio.gather(
            http.post(
                "/v1/ask",
                json={"question": question, "agent": "data", "timeout_s": SYNC_TIMEOUT_S},
            ),
            drive(client, [question], concurrency=1, timeout=SYNC_TIMEOUT_S),
        )
        code = str(response.json().get("error", {}).get("code", "-"))
        traffic.gateway_asks.append((response.status_code, code, time.monotonic() - started))
        traffic.direct_calls.extend(outcomes)
        body = {"question": question, "agent": "data"}
        if round_no % 2:
            body = {"question": "테란 승률 분석", "agent": "balance"}
        accepted = await http.post("/v1/tasks", json=body)
        result.check(accepted.status_code == 202, f"task not accepted: {accepted.text[:200]}")
        if accepted.status_code == 202:
            traffic.tasks.append(accepted.json()["id"])
    return traffic


def _figures(
    result: Result, outage_s: float, traffic: _Traffic, states: dict[str, str], ledger: Ledger
) -> None:
    limit = SYNC_TIMEOUT_S + SLACK_S
    asks = traffic.gateway_asks
    fast = [a for a in asks if a[0] == 504 and a[1] == "timeout" and a[2] < limit]
    calls = traffic.direct_calls
    direct_fast = [o for o in calls if o.state == "CallTimeoutError" and o.seconds < limit]
    done = [t for t in traffic.tasks if states.get(t) == "completed"]
    worked_late = [o for o in calls if ledger.started(o.message_id)]
    slowest = max((a[2] for a in asks), default=0.0)
    result.figures.update(
        {
            "outage": f"{outage_s:g} s (data stopped with SIGTERM, then started)",
            "sync asks via gateway: 504 timeout in time": f"{len(fast)}/{len(asks)}",
            "sync calls over Kafka: CallTimeoutError in time": f"{len(direct_fast)}/{len(calls)}",
            "slowest failed sync ask": f"{slowest:.2f} s (deadline {SYNC_TIMEOUT_S:g} s)",
            "async tasks completed after restart": f"{len(done)}/{len(traffic.tasks)}",
            "expired requests worked on": len(worked_late),
        }
    )
    result.lost += len(traffic.tasks) - len(done)
    result.check(len(fast) == len(asks), f"sync asks did not fail fast: {asks}")
    result.check(len(direct_fast) == len(calls), "sync calls over Kafka did not fail fast")
    result.check(not worked_late, f"{len(worked_late)} expired requests were worked on")
    unfinished = {t: s for t, s in states.items() if s != "completed"}
    result.check(not unfinished, f"tasks not completed: {unfinished}")


async def _wait_tasks(http: httpx.AsyncClient, ids: list[str], *, timeout: float) -> dict[str, str]:
    """Poll the gateway until every task ended or ``timeout``; their last states."""
    states: dict[str, str] = {}
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout
    pending = list(ids)
    while pending and loop.time() < until:
        for task_id in list(pending):
            response = await http.get(f"/v1/tasks/{task_id}")
            states[task_id] = response.json().get("state", f"HTTP {response.status_code}")
            if states[task_id] in TERMINAL:
                pending.remove(task_id)
        if pending:
            await asyncio.sleep(0.5)
    return states


async def _settled_ledger(bootstrap: str, topic: str, quiet_s: float = 3.0) -> Ledger:
    """The task log once it stopped growing for ``quiet_s`` (queued requests handled)."""
    ledger = await read_ledger(bootstrap, topic)
    while True:
        await asyncio.sleep(quiet_s)
        again = await read_ledger(bootstrap, topic)
        if again.records == ledger.records:
            return again
        ledger = again
