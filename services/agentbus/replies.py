"""Answering a request record: where the reply goes, and publishing it reliably."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord

from agentbus.bus import KafkaBus
from agentbus.errors import BrokerUnavailableError
from agentbus.metrics import get_metrics
from agentbus.names import Headers
from agentbus.tracing import inject_context

__all__ = ["Replier", "ReplyTarget"]

log = logging.getLogger(__name__)

_MAX_BACKOFF_S = 5.0


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """The caller instance's inbox partition and the call's correlation id."""

    topic: str
    partition: int | None
    correlation: str


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class Replier:
    """Publishes replies of agent ``agent``, retrying with bounded exponential backoff."""

    def __init__(self, bus: KafkaBus, agent: str) -> None:
        self.bus = bus
        self.agent = agent
        self.stopping = False
        self._metrics = get_metrics()

    async def target(
        self, headers: dict[str, str], record: ConsumerRecord[Any, Any]
    ) -> ReplyTarget | None:
        """Where to answer ``record``, or ``None`` when it names no usable inbox."""
        topic = headers.get(Headers.REPLY_TOPIC, "")
        correlation = headers.get(Headers.CORRELATION_ID, "")
        if self.bus.topics.agent_of_responses(topic) is None or not correlation:
            return None
        if not await self.bus.topic_exists(topic):
            log.warning(
                "reply topic %s of request at offset %d does not exist", topic, record.offset
            )
            return None
        partition: int | None = None
        if Headers.REPLY_PARTITION in headers:  # absent: Kafka picks one by the key
            partition = _int_or_none(headers[Headers.REPLY_PARTITION])
            if partition is None or partition < 0:
                return None  # the caller said where it listens, unreadably
        return ReplyTarget(topic, partition, correlation)

    async def send(
        self, target: ReplyTarget, value: bytes | None, sequence: int, *, final: bool
    ) -> None:
        """Publish one reply record and wait for the cluster's acknowledgement.

        A broker that is briefly away (a restart) is waited for with exponential backoff
        capped at a few seconds; the request stays uncommitted meanwhile.
        """
        headers = {
            Headers.CORRELATION_ID: target.correlation,
            Headers.SEQUENCE: str(sequence),
            Headers.FINAL: "1" if final else "0",
            Headers.SENDER: self.agent,
            Headers.SENDER_INSTANCE: self.bus.instance_id,
        }
        inject_context(headers)
        partition, delay = target.partition, 0.05
        while True:
            try:
                await self.bus.publish(
                    target.topic,
                    value,
                    key=target.correlation,
                    headers=headers,
                    partition=partition,
                )
            except AssertionError:
                # aiokafka refuses a partition the topic does not have: let Kafka pick.
                partition = None
            except BrokerUnavailableError:
                if self.stopping:
                    raise
                self._metrics.retries.labels(self.agent, "reply").inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_BACKOFF_S)
            else:
                return

    async def send_json(self, target: ReplyTarget, body: dict[str, Any]) -> None:
        """A unary reply: one JSON-RPC response, final."""
        await self.send(target, json.dumps(body).encode(), 0, final=True)

    async def send_stream(self, target: ReplyTarget, bodies: list[dict[str, Any]]) -> None:
        """A whole stream at once: each JSON-RPC response, then the end marker."""
        for sequence, body in enumerate(bodies):
            await self.send(target, json.dumps(body).encode(), sequence, final=False)
        await self.send(target, b"", len(bodies), final=True)
