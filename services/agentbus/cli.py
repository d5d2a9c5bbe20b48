"""``agentbus``: ask agents by name and look into the hub, from a shell.

    agentbus ask balance "테란 승률 분석"        ask and print the answer
    agentbus ask data "TvZ 5.0.13" --json       the answer's structured data too
    agentbus agents                             registered agents and when they last reported
    agentbus tail agent.data.requests           print records as they arrive
    agentbus dlq redrive data --reason unknown-method   re-drive dead letters after a fix

Settings come from ``AGENTBUS_*`` like every agentbus process (Kafka on
127.0.0.1:9092 unless told otherwise; ``AGENTBUS_TRANSPORT=http`` with
``AGENTBUS_HTTP__AGENTS`` to ask over HTTP).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import Any

from a2a.client import ClientCallContext
from a2a.helpers import get_data_parts
from a2a.types import Message, Part, Role, SendMessageRequest, StreamResponse
from a2a.utils.errors import A2AError

from agentbus.bus import KafkaBus
from agentbus.clients import AgentClients
from agentbus.errors import AgentbusError, AgentNotFoundError
from agentbus.registry import AgentRegistry
from agentbus.settings import AgentbusSettings, load_settings
from agentbus.wire import decode_headers

__all__ = ["main"]


def _err(message: str) -> None:
    print(f"agentbus: {message}", file=sys.stderr, flush=True)


async def _connected(settings: AgentbusSettings) -> tuple[KafkaBus | None, AgentClients]:
    if settings.transport != "kafka":
        return None, AgentClients(settings)
    bus = KafkaBus(settings, name="cli")
    clients = AgentClients(settings, bus=bus, registry=AgentRegistry(bus))
    await bus.start()
    return bus, clients


def _describe(event: StreamResponse) -> str | None:
    """A progress line for a status update that says something."""
    if event.HasField("status_update"):
        text = " ".join(p.text for p in event.status_update.status.message.parts if p.text)
        return text or None
    return None


async def _ask(args: argparse.Namespace, settings: AgentbusSettings) -> int:
    bus, clients = await _connected(settings)
    try:
        client = await clients.get(args.agent, streaming=args.stream)
        message = Message(
            role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=args.question)]
        )
        started = time.perf_counter()
        parts: list[Part] = []
        async for event in client.send_message(
            SendMessageRequest(message=message), context=ClientCallContext(timeout=args.timeout)
        ):
            if (line := _describe(event)) is not None:
                _err(f"{args.agent}: {line}")
            if event.HasField("message"):
                parts += list(event.message.parts)
            elif event.HasField("artifact_update"):
                parts += list(event.artifact_update.artifact.parts)
            elif event.HasField("task") and not args.stream:
                parts += [p for a in event.task.artifacts for p in a.parts]
        elapsed = time.perf_counter() - started
        print("\n".join(p.text for p in parts if p.text))
        if args.json:
            print(json.dumps(get_data_parts(parts), ensure_ascii=False, indent=2))
        _err(f"{args.agent} answered in {elapsed:.2f} s over {settings.transport}")
        return 0
    finally:
        await clients.aclose()
        if bus is not None:
            await bus.stop()


async def _agents(settings: AgentbusSettings) -> int:
    if settings.transport != "kafka":
        for name, url in settings.http.agents.items():
            print(f"{name:<16} {url}")
        return 0
    bus = KafkaBus(settings, name="cli")
    registry = AgentRegistry(bus)
    await bus.start()
    try:
        found = await registry.all()
    finally:
        await registry.close()
        await bus.stop()
    now = time.time() * 1000
    for name, agent in sorted(found.items()):
        skills = ", ".join(s.name for s in agent.card.skills)
        age = (now - agent.last_seen_ms) / 1000
        print(f"{name:<16} seen {age:>7.0f} s ago   {agent.card.description[:60]}  [{skills}]")
    if not found:
        _err("no agent has registered yet")
    return 0


async def _tail(args: argparse.Namespace, settings: AgentbusSettings) -> int:
    from aiokafka import AIOKafkaConsumer  # noqa: PLC0415 - only this command needs it

    from agentbus.connection import admin_args, stop_consumer  # noqa: PLC0415

    consumer = AIOKafkaConsumer(
        args.topic,
        **admin_args(settings, client_id="agentbus-cli-tail"),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if args.from_beginning else "latest",
    )
    await consumer.start()
    shown = 0
    try:
        async for record in consumer:
            key = record.key.decode(errors="replace") if record.key else ""
            if args.key and key != args.key:
                continue
            headers = decode_headers(record.headers)
            value = (record.value or b"").decode(errors="replace")
            if len(value) > args.width:
                value = value[: args.width] + "…"
            brief = {k: v for k, v in headers.items() if k not in {"traceparent", "tracestate"}}
            print(
                f"{record.topic}[{record.partition}]@{record.offset} key={key} {brief}\n  {value}"
            )
            shown += 1
            if args.limit and shown >= args.limit:
                break
    finally:
        await stop_consumer(consumer, "tail")
    return 0


async def _redrive(args: argparse.Namespace, settings: AgentbusSettings) -> int:
    from agentbus.deadletter import redrive  # noqa: PLC0415 - only this command needs it

    bus = KafkaBus(settings, name="cli")
    await bus.start()
    try:
        report = await redrive(
            bus,
            args.agent,
            limit=args.limit,
            reasons=set(args.reason) if args.reason else None,
            dry_run=args.dry_run,
            progress=_err,
        )
    finally:
        await bus.stop()
    what = "would re-drive" if args.dry_run else "re-drove"
    print(f"{what} {report.redriven} dead letters of {args.agent}; skipped {report.skipped}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentbus", description="Ask agents by name and look into the Kafka hub."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="ask an agent and print its answer")
    ask.add_argument("agent", help="agent name, e.g. balance")
    ask.add_argument("question")
    ask.add_argument("--timeout", type=float, default=60.0, help="seconds (default 60)")
    ask.add_argument("--stream", action="store_true", help="show progress while it works")
    ask.add_argument("--json", action="store_true", help="also print the structured data")
    sub.add_parser("agents", help="list registered agents")
    tail = sub.add_parser("tail", help="print records of a topic as they arrive")
    tail.add_argument("topic")
    tail.add_argument("--from-beginning", action="store_true")
    tail.add_argument("--key", help="only records with this key (one conversation: its contextId)")
    tail.add_argument("--limit", type=int, default=0, help="stop after N records")
    tail.add_argument("--width", type=int, default=300, help="truncate values to N characters")
    dlq = sub.add_parser("dlq", help="dead letters of an agent")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True)
    drive = dlq_sub.add_parser("redrive", help="put dead letters back on their request topic")
    drive.add_argument("agent")
    drive.add_argument("--reason", action="append", help="only this DLQ reason (repeatable)")
    drive.add_argument("--limit", type=int, default=0, help="at most N records")
    drive.add_argument("--dry-run", action="store_true", help="show, do not re-drive")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agentbus`` command."""
    args = _parser().parse_args(argv)
    commands: dict[str, Callable[[AgentbusSettings], Coroutine[Any, Any, int]]] = {
        "ask": partial(_ask, args),
        "agents": _agents,
        "dlq": partial(_redrive, args),
        "tail": partial(_tail, args),
    }
    try:
        result = asyncio.run(commands[args.command](load_settings()))
    except AgentNotFoundError as exc:
        _err(str(exc))
        return 2
    except (AgentbusError, A2AError) as exc:
        _err(f"{type(exc).__name__}: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    return result
