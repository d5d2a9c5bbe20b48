"""``python -m devstack {demo,up}``: the game-balance team on this machine.

demo  start Kafka and every service, ask the scenario question through the gateway,
      print the report and a timing line, stop everything.
up    start everything and keep it running until Ctrl-C (console, API, CLI).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from devstack.processes import ServiceGroup, free_port, progress

SCENARIO = "테란 승률 분석"
PORTS = {"gateway": 8080, "data": 8101, "cs": 8102, "balance": 8103}
MODULES = {"data": "data_agent", "cs": "cs_agent", "balance": "balance_agent", "gateway": "gateway"}


@contextlib.contextmanager
def _kafka(data_dir: Path, port: int) -> Iterator[str]:
    from agentbus.localkafka import LocalKafka  # noqa: PLC0415 - only when Kafka is used

    progress(f"starting Apache Kafka (data in {data_dir})")
    kafka = LocalKafka(data_dir, port=port, controller_port=free_port())
    kafka.start()
    progress(f"Kafka ready at {kafka.bootstrap_servers}")
    try:
        yield kafka.bootstrap_servers
    finally:
        progress("stopping Kafka")
        kafka.stop()


def _team(state: Path, transport: str, bootstrap: str, ports: dict[str, int]) -> ServiceGroup:
    group = ServiceGroup(log_dir=state / "logs")
    urls = {name: f"http://127.0.0.1:{port}/" for name, port in ports.items()}
    common = {
        "AGENTBUS_TRANSPORT": transport,
        "AGENTBUS_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "AGENTBUS_HTTP__AGENTS": "{" + ",".join(f'"{n}": "{u}"' for n, u in urls.items()) + "}",
    }
    extra = {"data": {"AGENTBUS_DATA_DB_PATH": str(state / "data" / "matches.sqlite")}}
    for name in ("data", "cs", "balance", "gateway"):
        group.add(name, MODULES[name], {**common, **extra.get(name, {})}, port=ports[name])
    return group


def _print_report(answer: dict[str, Any], elapsed: float, transport: str, question: str) -> None:
    print(answer.get("text", ""))
    print()
    sources: dict[str, Any] = {}
    for item in answer.get("data") or []:
        if isinstance(item, dict) and item.get("schema") == "agentbus.balance.report/v1":
            sources = item.get("sources") or {}
    agents = ",".join(f"{n}:{s.get('status')}" for n, s in sorted(sources.items())) or "?"
    print(
        f"demo transport={transport} question={question!r} answered_in_s={elapsed:.3f} "
        f"agents={agents} state={answer.get('state')}"
    )


def demo(args: argparse.Namespace) -> int:
    """Run everything, ask once, print, stop."""
    state = Path(args.state_dir)
    with (
        tempfile.TemporaryDirectory(prefix="agentbus-demo-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        bootstrap = "127.0.0.1:9092"
        if args.transport == "kafka":
            bootstrap = stack.enter_context(_kafka(Path(tmp) / "kafka", free_port()))
        ports = {name: free_port() for name in PORTS}
        stack.enter_context(_team(state, args.transport, bootstrap, ports).running())
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        progress(f"asking the gateway: {args.question}")
        started = time.perf_counter()
        response = httpx.post(
            f"{gateway}/v1/ask", json={"question": args.question, "agent": "balance"}, timeout=60
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 200:  # noqa: PLR2004
            progress(f"the gateway answered {response.status_code}: {response.text}")
            return 1
        _print_report(response.json(), elapsed, args.transport, args.question)
    progress("stopped")
    return 0


def up(args: argparse.Namespace) -> int:
    """Run everything until Ctrl-C."""
    state = Path(args.state_dir)
    stop = False

    def on_signal(signum: int, frame: object) -> None:
        del signum, frame
        nonlocal stop
        stop = True

    with contextlib.ExitStack() as stack:
        bootstrap = f"127.0.0.1:{args.kafka_port}"
        if args.transport == "kafka":
            bootstrap = stack.enter_context(_kafka(state / "kafka", args.kafka_port))
        stack.enter_context(_team(state, args.transport, bootstrap, PORTS).running())
        progress(f"console   http://127.0.0.1:{PORTS['gateway']}/   API docs /docs")
        env = "" if args.transport == "kafka" else "AGENTBUS_TRANSPORT=http "
        progress(f"ask       {env}agentbus ask balance '{SCENARIO}'")
        progress(f"logs      {state / 'logs'}    stop with Ctrl-C")
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        while not stop:
            time.sleep(0.5)
        progress("stopping")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, help_text in (
        ("demo", demo, "run the scenario once and print the report"),
        ("up", up, "run everything until Ctrl-C"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.set_defaults(func=func)
        cmd.add_argument("--transport", choices=["kafka", "http"], default="kafka")
        cmd.add_argument("--state-dir", default=".local", help="databases, logs (and Kafka for up)")
    sub.choices["demo"].add_argument("--question", default=SCENARIO)
    sub.choices["up"].add_argument("--kafka-port", type=int, default=9092)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
