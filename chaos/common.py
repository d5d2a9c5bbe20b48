"""What the chaos scenarios share: the stage, a result's figures, load and counting."""

from __future__ import annotations

import asyncio
import itertools
import statistics
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbus import AgentbusSettings
from agentbus.localkafka import LocalKafka
from chaos.ledger import Ledger, wait_for_ledger
from chaos.load import Caller, Outcome, drive
from chaos.team import Deployment
from devstack.processes import progress

__all__ = [
    "QUESTIONS",
    "Hook",
    "Result",
    "Stage",
    "at",
    "count_outcomes",
    "counts",
    "latency",
    "load",
    "settle",
]

QUESTIONS = (
    "TvZ win rate on patch 5.0.13",
    "analyse Terran win rates",
    "저그 대 프로토스 5.0.12 패치 승률",
    "terran trend 5.0.12 to 5.0.13",
    "protoss win rate on patch 5.0.12",
    "ZvP win rate",
)
"""Data-agent questions the load cycles through (answers come from the match database)."""

Hook = Callable[[Outcome, int], None]
"""Called as each call ends, with its outcome and how many calls have ended."""


@dataclass
class Stage:
    """What every scenario shares: the broker, where state goes, the data database."""

    kafka: LocalKafka
    state_dir: Path
    data_db: Path

    @property
    def bootstrap(self) -> str:
        """The broker's address."""
        return self.kafka.bootstrap_servers

    def deployment(self, name: str) -> Deployment:
        """An empty deployment on topic prefix ``chaos-<name>.`` (its groups and logs alone)."""
        return Deployment(
            self.bootstrap, f"chaos-{name}.", self.state_dir / "logs" / name, self.data_db
        )


@dataclass
class Result:
    """One scenario's figures and verdict."""

    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    lost: int = 0
    duplicates: int = 0
    crashes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, ok: bool, problem: str) -> None:
        """Record ``problem`` unless ``ok``."""
        if not ok:
            self.problems.append(problem)


def at(count: int, action: Callable[[], Awaitable[None]]) -> tuple[Hook, asyncio.Task[None]]:
    """A hook that starts ``action`` once ``count`` calls ended; and the task running it."""
    reached = asyncio.Event()

    async def run() -> None:
        await reached.wait()
        await action()

    def hook(outcome: Outcome, done: int) -> None:
        del outcome
        if done >= count:
            reached.set()

    return hook, asyncio.create_task(run())


async def load(
    me: Caller,
    label: str,
    requests: int,
    *,
    concurrency: int,
    timeout: float,
    give_up_after: float = 120.0,
    hooks: Iterable[Hook] = (),
) -> list[Outcome]:
    """``requests`` blocking questions to the data agent, with progress lines."""
    client = await me.client("data")
    every = max(100, requests // 8)
    chosen = list(hooks)

    def on_done(outcome: Outcome, done: int) -> None:
        if done % every == 0 or done == requests:
            progress(f"  {label}: {done}/{requests} answered")
        for hook in chosen:
            hook(outcome, done)

    questions = list(itertools.islice(itertools.cycle(QUESTIONS), requests))
    return await drive(
        client,
        questions,
        concurrency=concurrency,
        timeout=timeout,
        give_up_after=give_up_after,
        on_done=on_done,
    )


async def settle(
    stage: Stage, settings: AgentbusSettings, outcomes: Iterable[Outcome], *, timeout: float = 30
) -> Ledger:
    """The task log once every request in ``outcomes`` completed there (or ``timeout``)."""
    return await wait_for_ledger(
        stage.bootstrap,
        settings.topics.names.tasks,
        [o.message_id for o in outcomes],
        timeout=timeout,
    )


def count_outcomes(result: Result, outcomes: list[Outcome], ledger: Ledger) -> None:
    """Lost: no completed result anywhere. Duplicates: a second task, or a result twice."""
    ids = [o.message_id for o in outcomes]
    lost = {o.message_id for o in outcomes if not o.completed} & set(ledger.lost(ids))
    misrouted = [o for o in outcomes if o.answered_message_id not in (None, o.message_id)]
    duplicates = ledger.duplicates(ids)
    result.lost += len(lost) + len(misrouted)
    result.duplicates += len(duplicates)
    failures: dict[str, int] = {}
    for outcome in outcomes:
        if not outcome.completed:
            failures[outcome.state] = failures.get(outcome.state, 0) + 1
    result.figures.update(
        {
            "requests": len(outcomes),
            "answered to their caller": sum(o.completed for o in outcomes),
            "completed in the task log": sum(ledger.completed(m) for m in ids),
            "lost": len(lost),
            "answers to another request": len(misrouted),
            "duplicate tasks or results": len(duplicates),
            "caller errors": counts(failures),
            "sends retried (not acknowledged)": sum(o.attempts - 1 for o in outcomes),
            "latency": latency(outcomes),
        }
    )


def counts(by_kind: dict[str, int]) -> str:
    """``a=1, b=2`` in name order, or ``none``."""
    return ", ".join(f"{k}={v}" for k, v in sorted(by_kind.items())) or "none"


def latency(outcomes: list[Outcome]) -> str:
    """p50, p99 and the slowest call, from first send to outcome."""
    seconds = sorted(o.seconds for o in outcomes)
    if not seconds:
        return "-"
    p50 = statistics.median(seconds) * 1000
    p99 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))] * 1000
    return f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {seconds[-1]:.1f} s"
