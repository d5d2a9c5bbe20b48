"""Unloaded request/reply latency: the same A2A agent called over Kafka and over HTTP.

Two echo agent processes (one on Kafka, one on HTTP), one caller, 1 KB messages,
calls one at a time. The two transports alternate in blocks so that noise on a
shared machine hits both alike. The last line is the machine-readable summary::

    rpc kafka_p50_ms=<x> kafka_p99_ms=<x> http_p50_ms=<x> http_p99_ms=<x> ratio_p50=<kafka/http>
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from a2a.client import Client
from a2a.types import Message, Part, Role, SendMessageRequest

from agentbus import AgentClients, KafkaBus, load_settings
from benchmarks._procs import local_kafka
from devstack.processes import ServiceGroup
from devstack.processes import progress as log


def _percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(q * (len(sorted_ms) - 1)))]


async def _call(client: Client, payload: str) -> None:
    message = Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=payload)])
    got = None
    async for event in client.send_message(SendMessageRequest(message=message)):
        got = event
    if got is None or not got.message.parts[0].text.endswith(payload[-16:]):
        raise RuntimeError("the echo agent answered something else")


async def _block(client: Client, payload: str, n: int, sink: list[float]) -> None:
    for _ in range(n):
        started = time.perf_counter()
        await _call(client, payload)
        sink.append((time.perf_counter() - started) * 1000)


async def run(args: argparse.Namespace, bootstrap: str, http_url: str) -> dict[str, list[float]]:
    """Measure both transports, alternating blocks; return latencies in ms."""
    kafka_settings = load_settings(transport="kafka", kafka={"bootstrap_servers": bootstrap})
    http_settings = load_settings(transport="http", http={"agents": {"echo": http_url}})
    payload = "x" * args.payload
    bus = KafkaBus(kafka_settings, name="bench")
    await bus.start()
    kafka_clients = AgentClients(kafka_settings, bus=bus)
    http_clients = AgentClients(http_settings)
    try:
        clients = {"kafka": await kafka_clients.get("echo"), "http": await http_clients.get("echo")}
        log(f"warming up with {args.warmup} calls per transport")
        for client in clients.values():
            await _block(client, payload, args.warmup, [])
        results: dict[str, list[float]] = {"kafka": [], "http": []}
        per_block = max(1, args.calls // args.rounds)
        for round_no in range(args.rounds):
            order = ("kafka", "http") if round_no % 2 == 0 else ("http", "kafka")
            for name in order:
                await _block(clients[name], payload, per_block, results[name])
            log(f"round {round_no + 1}/{args.rounds}: {len(results['kafka'])} calls per transport")
        return results
    finally:
        await http_clients.aclose()
        await kafka_clients.aclose()
        await bus.stop()


def main() -> None:
    """Parse options, start Kafka and the agents, measure, print the table and summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per transport (>= 2000)")
    parser.add_argument("--payload", type=int, default=1024, help="message text size in bytes")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured calls per transport")
    parser.add_argument("--rounds", type=int, default=10, help="alternating blocks per transport")
    parser.add_argument("--bootstrap", help="use this Kafka instead of starting a local broker")
    args = parser.parse_args()

    with local_kafka(args.bootstrap) as bootstrap, tempfile.TemporaryDirectory() as logs:
        common = {"AGENTBUS_KAFKA__BOOTSTRAP_SERVERS": bootstrap}
        group = ServiceGroup(log_dir=Path(logs))
        group.add(
            "echo-kafka",
            "echo_agent",
            {**common, "AGENTBUS_TRANSPORT": "kafka", "AGENTBUS_OPS__A2A_HTTP": "false"},
        )
        http_agent = group.add("echo-http", "echo_agent", {**common, "AGENTBUS_TRANSPORT": "http"})
        with group.running():
            log("agents ready; measuring")
            results = asyncio.run(run(args, bootstrap, http_agent.url + "/"))

    print(f"{'transport':<10}{'calls':>8}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    summary = {}
    for name in ("kafka", "http"):
        ms = sorted(results[name])
        p50, p90, p99 = (_percentile(ms, q) for q in (0.5, 0.9, 0.99))
        summary[name] = (p50, p99)
        print(
            f"{name:<10}{len(ms):>8}{p50:>10.2f}{p90:>10.2f}{p99:>10.2f}{statistics.fmean(ms):>10.2f}"
        )
    ratio = summary["kafka"][0] / summary["http"][0]
    print(
        f"rpc kafka_p50_ms={summary['kafka'][0]:.2f} kafka_p99_ms={summary['kafka'][1]:.2f} "
        f"http_p50_ms={summary['http'][0]:.2f} http_p99_ms={summary['http'][1]:.2f} "
        f"ratio_p50={ratio:.2f}"
    )


if __name__ == "__main__":
    main()
