"""Hard kills: one of two agent replicas, then the broker itself, under load."""

from __future__ import annotations

import asyncio
import time

from chaos.common import Result, Stage, at, count_outcomes, load, settle
from chaos.load import caller, caller_settings
from devstack.processes import progress

__all__ = ["broker_restart", "replica_crash"]


async def replica_crash(stage: Stage, *, requests: int) -> Result:
    """Two data replicas in one consumer group; kill -9 one after a quarter of the answers.

    The survivor takes the dead replica's partitions over, is redelivered the
    requests it had not committed, resumes the tasks it had started (their owner
    is gone from the group) and answers every caller.
    """
    result = Result("replica-crash")
    team = stage.deployment("crash")
    team.add("data-1", "data")
    team.add("data-2", "data")
    try:
        await team.start()
        settings = caller_settings(stage.bootstrap, team.prefix)
        killed: list[int] = []

        async def crash() -> None:
            killed.append(team.kill("data-1"))
            progress(f"  kill -9 data-1 (pid {killed[0]}) with calls in flight")

        async with caller(settings) as me:
            hook, killer = at(requests // 4, crash)
            started = time.monotonic()
            outcomes = await load(
                me, "replica-crash", requests, concurrency=32, timeout=60, hooks=[hook]
            )
            elapsed = time.monotonic() - started
            await killer
        ledger = await settle(stage, settings, outcomes)
        count_outcomes(result, outcomes, ledger)
        victim = f"-{killed[0]}-" if killed else "?"
        resumed = [
            task
            for task, writers in ledger.writers.items()
            if len(writers) > 1 and any(victim in w for w in writers)
        ]
        result.figures["replica killed"] = "data-1, kill -9, after 25% of the answers"
        started_there = [t for t, w in ledger.writers.items() if any(victim in x for x in w)]
        result.figures["tasks the killed replica wrote"] = len(started_there)
        result.figures["tasks the survivor finished for it"] = len(resumed)
        result.figures["throughput"] = f"{requests / elapsed:.0f} req/s"
        result.crashes = await team.casualties()
    finally:
        await team.close()
    return result


async def broker_restart(stage: Stage, *, requests: int) -> Result:
    """Kill -9 the broker after a quarter of the answers; start it again on the same data.

    A request counts as acknowledged once one send of it was acknowledged by the
    broker (acks=all). Sends the broker never acknowledged are retried with the
    same ``messageId``; every acknowledged request must complete.
    """
    result = Result("broker-restart")
    team = stage.deployment("broker")
    team.add("data", "data")
    try:
        await team.start()
        settings = caller_settings(stage.bootstrap, team.prefix)
        downtime: list[float] = []

        async def restart() -> None:
            stopped = time.monotonic()
            progress("  kill -9 the broker")
            await asyncio.to_thread(stage.kafka.kill)
            await asyncio.sleep(2.0)
            progress("  starting the broker again on the same data")
            await asyncio.to_thread(stage.kafka.start)
            downtime.append(time.monotonic() - stopped)
            progress(f"  broker back after {downtime[0]:.1f} s")

        async with caller(settings) as me:
            hook, restarter = at(requests // 4, restart)
            outcomes = await load(
                me,
                "broker-restart",
                requests,
                concurrency=16,
                timeout=90,
                give_up_after=150,
                hooks=[hook],
            )
            await restarter
        acked = [o for o in outcomes if o.acked]
        ledger = await settle(stage, settings, acked, timeout=60)
        lost = [o for o in acked if not o.completed and not ledger.completed(o.message_id)]
        count_outcomes(result, outcomes, ledger)
        # Sends never acknowledged were refused with a clear error (the caller knows);
        # acknowledged ones are what the broker promised to keep: broker_restart_lost.
        result.lost = 0
        refused = len(outcomes) - len(acked)
        result.figures["broker down"] = (
            f"{downtime[0]:.1f} s (kill -9, same data)" if downtime else "never restarted"
        )
        result.check(bool(downtime), "the broker was not restarted")
        result.figures["acknowledged by the broker"] = len(acked)
        result.figures["broker_restart_lost"] = len(lost)
        result.check(not refused, f"{refused} calls never got past the restarted broker")
        result.crashes = await team.casualties()
    finally:
        await team.close()
    return result
