"""The agent registry: cards and heartbeats on the compacted ``agent.registry`` topic.

Each agent process publishes its card at start and again every heartbeat interval
(key = agent name, so compaction keeps the latest card of every agent). Every
process that calls agents reads the topic and finds cards by name: no URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from a2a.types import AgentCard
from a2a.utils.proto_utils import parse_lenient
from aiokafka import ConsumerRecord
from google.protobuf.json_format import MessageToJson

from agentbus.bus import KafkaBus
from agentbus.logreader import CompactedTopicReader
from agentbus.names import Headers
from agentbus.wire import decode_headers, now_ms

__all__ = ["AgentRegistry", "RegisteredAgent"]

log = logging.getLogger(__name__)

_HEARTBEAT_AT = "agentbus-heartbeat-ms"


@dataclass(frozen=True, slots=True)
class RegisteredAgent:
    """The latest card of an agent and when an instance of it last reported."""

    card: AgentCard
    instance: str
    last_seen_ms: int


class AgentRegistry:
    """Publishes this process's cards and keeps everyone's, read from the registry topic."""

    def __init__(self, bus: KafkaBus, *, heartbeat_s: float = 30.0) -> None:
        self.bus = bus
        self.heartbeat_s = heartbeat_s
        self._agents: dict[str, RegisteredAgent] = {}
        self._reader = CompactedTopicReader(bus, bus.topics.registry, self._on_record)
        self._own: list[AgentCard] = []
        self._beat: asyncio.Task[None] | None = None

    async def register(self, card: AgentCard) -> None:
        """Publish ``card`` now and on every heartbeat until :meth:`close`."""
        self._own.append(card)
        await self._publish(card)
        if self._beat is None:
            self._beat = asyncio.create_task(self._heartbeat(), name="agentbus-heartbeat")

    async def get(self, name: str, *, timeout: float = 5.0) -> RegisteredAgent | None:
        """The registered card of ``name``, or ``None`` if it never registered."""
        found = self._agents.get(name)
        if found is None:
            with contextlib.suppress(TimeoutError):
                await self._reader.catch_up(timeout)
            found = self._agents.get(name)
        return found

    async def all(self, *, timeout: float = 5.0) -> dict[str, RegisteredAgent]:
        """Every registered agent, after catching up with the topic."""
        with contextlib.suppress(TimeoutError):
            await self._reader.catch_up(timeout)
        return dict(self._agents)

    async def close(self) -> None:
        """Stop the heartbeat."""
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
            self._beat = None

    async def _publish(self, card: AgentCard) -> None:
        await self.bus.publish(
            self.bus.topics.registry,
            MessageToJson(card).encode(),
            key=card.name,
            headers={
                Headers.AGENT: card.name,
                Headers.SENDER_INSTANCE: self.bus.instance_id,
                _HEARTBEAT_AT: str(now_ms()),
            },
        )

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            for card in self._own:
                try:
                    await self._publish(card)
                except Exception:
                    log.warning("heartbeat of agent %s failed", card.name, exc_info=True)

    async def _on_record(self, record: ConsumerRecord[Any, Any]) -> None:
        if not record.key:
            return
        name = record.key.decode(errors="replace")
        if record.value is None:
            self._agents.pop(name, None)
            return
        headers = decode_headers(record.headers)
        try:
            card = parse_lenient(record.value, AgentCard())
        except Exception:  # noqa: BLE001 - a bad card must not stop the registry
            log.warning("ignoring undecodable card for %r at offset %d", name, record.offset)
            return
        seen = int(headers.get(_HEARTBEAT_AT, "0") or 0) or int(time.time() * 1000)
        self._agents[name] = RegisteredAgent(card, headers.get(Headers.SENDER_INSTANCE, ""), seen)
