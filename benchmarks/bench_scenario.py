"""The seed's scenario timed three ways: balance asks data (2.0 s of work) and cs (1.0 s).

1. over HTTP, data then cs (sequential calls, as agents wired by URL usually do);
2. over HTTP, both at once (parallel calls);
3. over Kafka with the fan-out helper (one broadcast record, both answer).

Each mode runs the three agents as separate processes with the simulated work
switched on (``AGENTBUS_DATA_SIMULATED_WORK_S=2``, ``AGENTBUS_CS_SIMULATED_WORK_S=1``,
settings used only here), asks balance the scenario question several times and
takes the median. The last line is the machine-readable summary: ``scenario kafka_s=
http_seq_s= http_par_s= slowest_s= overhead_ms=<kafka-slowest> ratio_vs_http_seq=``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from a2a.helpers import get_data_parts
from a2a.types import Message, Part, Role, SendMessageRequest

from agentbus import AgentClients, KafkaBus, load_settings
from benchmarks._procs import local_kafka
from devstack.processes import ServiceGroup, progress

QUESTION = "테란 승률 분석"
DATA_WORK_S = 2.0
CS_WORK_S = 1.0
MODES = {
    "http_seq": ("http", "sequential"),
    "http_par": ("http", "parallel"),
    "kafka": ("kafka", "scatter"),
}


async def _measure(
    transport: str, bootstrap: str, balance_url: str, calls: int, warmup: int
) -> tuple[list[float], dict[str, str]]:
    if transport == "kafka":
        settings = load_settings(transport="kafka", kafka={"bootstrap_servers": bootstrap})
        bus: KafkaBus | None = KafkaBus(settings, name="bench")
        await bus.start()
    else:
        settings = load_settings(transport="http", http={"agents": {"balance": balance_url}})
        bus = None
    clients = AgentClients(settings, bus=bus)
    try:
        client = await clients.get("balance")
        times: list[float] = []
        sources: dict[str, str] = {}
        for i in range(warmup + calls):
            message = Message(
                role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=QUESTION)]
            )
            started = time.perf_counter()
            events = [e async for e in client.send_message(SendMessageRequest(message=message))]
            elapsed = time.perf_counter() - started
            task = events[-1].task
            report = next(
                d
                for a in task.artifacts
                for d in get_data_parts(list(a.parts))
                if isinstance(d, dict)
            )
            sources = {k: v["status"] for k, v in report["sources"].items()}
            if i >= warmup:  # warm-up calls fill connections, caches and the JITs
                times.append(elapsed)
            elif i == warmup - 1:
                # A long-running caller (the gateway, under serve_app) has frozen what it
                # made at start-up; so does this one, in every mode alike.
                gc.collect()
                gc.freeze()
        return times, sources
    finally:
        await clients.aclose()
        if bus is not None:
            await bus.stop()


def _run_mode(
    mode: str, bootstrap: str, args: argparse.Namespace, state: Path
) -> tuple[list[float], dict[str, str]]:
    transport, fanout = MODES[mode]
    group = ServiceGroup(log_dir=state / "logs" / mode)
    common = {"AGENTBUS_TRANSPORT": transport, "AGENTBUS_KAFKA__BOOTSTRAP_SERVERS": bootstrap}
    data = group.add(
        "data",
        "data_agent",
        {
            **common,
            "AGENTBUS_DATA_SIMULATED_WORK_S": str(DATA_WORK_S),
            "AGENTBUS_DATA_DB_PATH": str(state / "matches.sqlite"),
        },
    )
    cs = group.add("cs", "cs_agent", {**common, "AGENTBUS_CS_SIMULATED_WORK_S": str(CS_WORK_S)})
    agents = f'{{"data": "{data.url}/", "cs": "{cs.url}/"}}'
    balance = group.add(
        "balance",
        "balance_agent",
        {
            **common,
            "AGENTBUS_HTTP__AGENTS": agents,
            "AGENTBUS_BALANCE_FANOUT": fanout,
            "AGENTBUS_BALANCE_DEADLINE_S": "30",
        },
    )
    with group.running():
        progress(f"{mode}: agents ready; {args.warmup} warm-up and {args.calls} measured calls")
        return asyncio.run(
            _measure(transport, bootstrap, balance.url + "/", args.calls, args.warmup)
        )


def main() -> None:
    """Run the three modes and print the table and the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=7, help="measured calls per mode")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured calls per mode")
    parser.add_argument("--bootstrap", help="use this Kafka instead of starting a local broker")
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"comma-separated subset of {', '.join(MODES)}"
    )
    args = parser.parse_args()
    medians: dict[str, float] = {}
    rows = []
    with local_kafka(args.bootstrap) as bootstrap, tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            times, sources = _run_mode(mode, bootstrap, args, Path(tmp))
            medians[mode] = statistics.median(times)
            rows.append((mode, medians[mode], min(times), max(times), sources))
    print(f"{'mode':<10}{'median s':>10}{'min s':>9}{'max s':>9}  agents")
    for mode, median, low, high, sources in rows:
        ok = ",".join(f"{k}:{v}" for k, v in sorted(sources.items()))
        print(f"{mode:<10}{median:>10.3f}{low:>9.3f}{high:>9.3f}  {ok}")
    slowest = max(DATA_WORK_S, CS_WORK_S)
    if set(medians) != set(MODES):
        return
    kafka = medians["kafka"]
    print(
        f"scenario kafka_s={kafka:.3f} http_seq_s={medians['http_seq']:.3f} "
        f"http_par_s={medians['http_par']:.3f} slowest_s={slowest:.3f} "
        f"overhead_ms={(kafka - slowest) * 1000:.1f} "
        f"ratio_vs_http_seq={kafka / medians['http_seq']:.3f}"
    )


if __name__ == "__main__":
    main()
