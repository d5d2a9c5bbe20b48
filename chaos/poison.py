"""Poison records among good load: each dead-lettered at once, the rest keeps flowing."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from agentbus.names import Headers
from agentbus.transport import request_headers
from agentbus.wire import decode_headers
from chaos.common import Result, Stage, count_outcomes, counts, load, settle
from chaos.load import Caller, Outcome, caller, caller_settings

__all__ = ["POISONS", "poison"]

POISONS: tuple[tuple[str, bytes], ...] = (
    ("malformed JSON", b'{"jsonrpc": "2.0", "id": "p", "method": "SendMessage", "params": {'),
    ("unknown method", b'{"jsonrpc": "2.0", "id": "p", "method": "tasks/explode", "params": {}}'),
    (
        "wrong schema",
        b'{"jsonrpc": "2.0", "id": "p", "method": "SendMessage", "params": {"message": 42}}',
    ),
    ("not JSON-RPC", b'["a", "list", "is", "not", "a", "request"]'),
)
"""Records no agent version can process, in the order the run sends them."""
DLQ_WITHIN_MS = 1000
EVERY = 1000


@dataclass
class _Poison:
    kind: str
    correlation_id: str
    produced_ms: int
    sent_at: float
    replied_after_s: float | None = None
    dlq_after_ms: int | None = None


class _Feeder:
    """Puts poison records on the data agent's request topic, as a broken client would."""

    def __init__(self, me: Caller) -> None:
        self.me = me
        self.topic = me.settings.topics.names.requests("data")
        self.sent: list[_Poison] = []
        self.pending: list[asyncio.Task[None]] = []
        self._kinds = itertools.cycle(POISONS)

    def hook(self, outcome: Outcome, done: int) -> None:
        """Midway through each thousand answers, send the next poison record."""
        del outcome
        if done % EVERY == EVERY // 2:
            kind, value = next(self._kinds)
            self.pending.append(asyncio.create_task(self.send(kind, value)))

    async def send(self, kind: str, value: bytes) -> None:
        """Produce one poison record with proper reply headers; wait for its error reply."""
        rpc_id = f"poison-{uuid.uuid4().hex[:8]}"
        headers = request_headers(self.me.bus, "SendMessage", rpc_id, None, 30)
        with self.me.bus.expect_replies(rpc_id) as replies:
            sent = time.monotonic()
            meta = await self.me.bus.publish(self.topic, value, key=rpc_id, headers=headers)
            assert meta is not None  # noqa: S101 - a waited publish returns its metadata
            entry = _Poison(kind, rpc_id, meta.timestamp, sent)
            self.sent.append(entry)
            try:
                async with asyncio.timeout(10):
                    await replies.get()
                entry.replied_after_s = time.monotonic() - sent
            except TimeoutError:
                pass


async def poison(stage: Stage, *, requests: int) -> Result:
    """Good load with a poison record every 1,000 answers, and one oversized record."""
    result = Result("poison")
    team = stage.deployment("poison")
    team.add("data", "data")
    try:
        await team.start()
        settings = caller_settings(stage.bootstrap, team.prefix)
        async with caller(settings) as me:
            feeder = _Feeder(me)
            started = time.monotonic()
            outcomes = await load(
                me, "poison", requests, concurrency=32, timeout=60, hooks=[feeder.hook]
            )
            elapsed = time.monotonic() - started
            await asyncio.gather(*feeder.pending)
            pad = "x" * (settings.kafka.max_request_bytes + 10)
            big = {"jsonrpc": "2.0", "id": "big", "method": "SendMessage", "params": {"pad": pad}}
            await feeder.send("oversized", json.dumps(big).encode())
        await _find_dead_letters(stage.bootstrap, settings.topics.names.dlq("data"), feeder.sent)
        ledger = await settle(stage, settings, outcomes)
        count_outcomes(result, outcomes, ledger)
        _figures(result, feeder.sent, outcomes, requests / elapsed)
        result.crashes = await team.casualties()
    finally:
        await team.close()
    return result


def _figures(result: Result, sent: list[_Poison], outcomes: list[Outcome], rate: float) -> None:
    in_time = [p for p in sent if p.dlq_after_ms is not None and p.dlq_after_ms <= DLQ_WITHIN_MS]
    answered = [p for p in sent if p.replied_after_s is not None]
    # The poison records sent during the load; the oversized one comes after it.
    windows = [_rate_after(outcomes, p.sent_at) for p in sent if p.kind != "oversized"]
    kinds: dict[str, int] = {}
    for p in sent:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    slowest = max((p.dlq_after_ms if p.dlq_after_ms is not None else -1) for p in sent)
    flowing = all(w >= 0.25 * rate for w in windows)
    all_good = result.lost == 0 and result.figures["answered to their caller"] == len(outcomes)
    enough = len(windows) >= len(outcomes) // EVERY
    ok = len(in_time) == len(answered) == len(sent) and all_good and flowing and enough
    result.figures.update(
        {
            "poison records": f"{len(sent)} ({counts(kinds)})",
            "in the DLQ within 1 s": f"{len(in_time)}/{len(sent)}",
            "slowest to the DLQ": f"{slowest} ms" if slowest >= 0 else "never",
            "answered with an A2A error": f"{len(answered)}/{len(sent)}",
            "throughput overall": f"{rate:.0f} req/s",
            "throughput in 1 s after each poison": ", ".join(f"{w:.0f}" for w in windows),
            "dlq_ok": "yes" if ok else "no",
        }
    )
    result.check(enough, "fewer poison records than one per 1,000 requests")
    result.check(flowing, "throughput fell below a quarter of the average after a poison")


def _rate_after(outcomes: list[Outcome], at: float, window: float = 1.0) -> float:
    return sum(at <= o.ended_at < at + window for o in outcomes) / window


async def _find_dead_letters(bootstrap: str, topic: str, sent: list[_Poison]) -> None:
    """Find each poison record in the DLQ; note how long after its produce it landed."""
    by_id = {p.correlation_id: p for p in sent}
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        loop = asyncio.get_running_loop()
        until = loop.time() + 15
        while loop.time() < until and any(p.dlq_after_ms is None for p in sent):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    headers = decode_headers(record.headers)
                    entry = by_id.get(headers.get(Headers.CORRELATION_ID, ""))
                    if entry is not None:
                        entry.dlq_after_ms = record.timestamp - entry.produced_ms
    finally:
        await consumer.stop()
