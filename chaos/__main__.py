"""``python -m chaos``: the chaos suite on a real Apache Kafka broker (``make chaos``).

Starts its own broker, runs each scenario against real agent processes, prints a
table of figures, and ends with one line::

    chaos lost=<n> duplicates=<n> dlq_ok=<yes|no> broker_restart_lost=<n> bad_inputs=<n> crashes=<n>

The exit status is 0 only when nothing was lost or done twice, every poison
record reached its DLQ in time, no process crashed, and every scenario's own
checks held.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from chaos.common import Result, Stage
from chaos.kills import broker_restart, replica_crash
from chaos.outage import agent_outage
from chaos.poison import poison
from chaos.report import print_report, summary_line
from chaos.team import Deployment
from devstack.processes import free_port, progress

SCENARIOS = ("crash", "outage", "broker", "poison", "fuzz")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chaos",
        description=(
            "Fault injection on a real Kafka broker: kill -9 a replica, stop an agent, restart"
            " the broker, feed poison records and generated bad input; count what was lost,"
            " done twice, dead-lettered and crashed."
        ),
    )
    parser.add_argument("--requests", type=int, default=2000, help="calls in the replica-crash run")
    parser.add_argument("--outage-s", type=float, default=30.0, help="how long data stays down")
    parser.add_argument(
        "--broker-requests", type=int, default=600, help="calls in the broker-restart run"
    )
    parser.add_argument(
        "--poison-requests", type=int, default=3000, help="good calls in the poison run"
    )
    parser.add_argument(
        "--fuzz-examples",
        type=int,
        default=600,
        help="generated inputs per surface (gateway, wire)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated inputs")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated scenarios to run (default: all of {','.join(SCENARIOS)})",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".local/chaos"),
        help="broker data, process logs and the match database (default: .local/chaos)",
    )
    return parser


async def _run(args: argparse.Namespace, stage: Stage) -> list[Result]:
    chosen = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = chosen - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    results: list[Result] = []

    async def step(name: str, run: Callable[[], Awaitable[Result | list[Result]]]) -> None:
        progress(f"scenario {name}")
        started = time.monotonic()
        out = await run()
        for result in out if isinstance(out, list) else [out]:
            result.seconds = result.seconds or time.monotonic() - started
            results.append(result)
            verdict = "ok" if not result.problems and not result.crashes else "PROBLEMS"
            progress(f"scenario {result.name}: {verdict} in {result.seconds:.0f} s")

    if "crash" in chosen:
        await step("replica-crash", lambda: replica_crash(stage, requests=args.requests))
    if "outage" in chosen or "fuzz" in chosen:
        await step("agent-outage (+ bad inputs)", lambda: _outage_and_fuzz(args, stage, chosen))
    if "broker" in chosen:
        await step("broker-restart", lambda: broker_restart(stage, requests=args.broker_requests))
    if "poison" in chosen:
        await step("poison", lambda: poison(stage, requests=args.poison_requests))
    return results


async def _outage_and_fuzz(
    args: argparse.Namespace, stage: Stage, chosen: set[str]
) -> list[Result]:
    """The outage scenario; the bad-input scenario then runs on its recovered deployment."""
    fuzzed: list[Result] = []

    async def fuzz(team: Deployment) -> None:
        if "fuzz" in chosen:
            from chaos.badinput import bad_inputs  # noqa: PLC0415 - loads hypothesis

            fuzzed.append(
                await bad_inputs(stage, team, examples=args.fuzz_examples, seed=args.seed)
            )

    outage = await agent_outage(
        stage, outage_s=args.outage_s if "outage" in chosen else 0.0, then=fuzz
    )
    return ([outage] if "outage" in chosen else []) + fuzzed


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios; print figures and the summary line."""
    args = _parser().parse_args(argv)
    from agentbus.localkafka import LocalKafka  # noqa: PLC0415 - after --help
    from data_agent.dataset import MatchDatabase  # noqa: PLC0415
    from data_agent.settings import DataSettings  # noqa: PLC0415

    state: Path = args.state_dir
    for old in ("kafka", "logs"):  # a fresh broker and fresh logs; the database is reused
        shutil.rmtree(state / old, ignore_errors=True)
    state.mkdir(parents=True, exist_ok=True)
    progress("starting a local Apache Kafka broker")
    kafka = LocalKafka(state / "kafka", port=free_port(), controller_port=free_port())
    kafka.start()
    try:
        progress(f"Kafka ready at {kafka.bootstrap_servers}; opening the match database")
        defaults = DataSettings()
        database = MatchDatabase.open(
            state / "matches.sqlite", seed=defaults.seed, matches=defaults.matches
        )
        started = time.monotonic()
        results = asyncio.run(_run(args, Stage(kafka, state, database.path)))
        elapsed = time.monotonic() - started
    finally:
        kafka.stop()
    progress(f"chaos suite done in {elapsed:.0f} s; process logs in {state / 'logs'}")
    print_report(results)
    line, ok = summary_line(results)
    print(line, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
