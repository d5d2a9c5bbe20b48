"""One process's connection to the Kafka hub, shared by every call and agent in it.

A process holds one producer and one reply inbox, whatever the number of agents it
calls: N processes need N connections to the hub, not N² connections to each other.
The inbox is one partition of ``agent.<name>.responses``, chosen from the process's
instance id, so replicas of one caller each read only their own partition and every
reply reaches the exact instance that waits for it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import uuid
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka import TopicPartition as AioTopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import RecordMetadata
from faststream.kafka import KafkaBroker, TopicPartition
from faststream.middlewares import AckPolicy

from agentbus.connection import admin_args, broker_args, shut_down, stop_consumer
from agentbus.errors import BrokerUnavailableError
from agentbus.metrics import get_metrics
from agentbus.names import Headers, TopicNames, validate_agent_name
from agentbus.provisioning import (
    TopicSpec,
    caller_topic_specs,
    ensure_topics,
    partition_count,
    shared_topic_specs,
)
from agentbus.settings import AgentbusSettings
from agentbus.wire import now_ms

__all__ = ["KafkaBus", "ReplyQueue", "make_instance_id"]

log = logging.getLogger(__name__)
_OFFSETS_BACKOFF_MS = 10

ReplyQueue = asyncio.Queue[ConsumerRecord]
"""Reply records for one call, in arrival order."""


class _DropExpected(logging.Filter):
    """Drops FastStream's notice that topic auto-creation is off: agentbus provisions."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Auto create topics is disabled" not in record.getMessage()


def _faststream_logger() -> logging.Logger:
    logger = logging.getLogger("agentbus.faststream")
    if not any(isinstance(f, _DropExpected) for f in logger.filters):
        logger.addFilter(_DropExpected())
    return logger


def _client_id(text: str) -> str:
    """A Kafka client id (letters, digits, '.', '_', '-') made from ``text``."""
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in text)[:200]


def make_instance_id(name: str) -> str:
    """A process-unique id: the host (pod) name, the pid and a random suffix."""
    host = os.environ.get("HOSTNAME") or socket.gethostname()
    return f"{name}@{host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class KafkaBus:
    """The process's Kafka connection: FastStream broker, reply inbox and topic checks."""

    def __init__(
        self,
        settings: AgentbusSettings,
        *,
        name: str,
        instance_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.name = validate_agent_name(name)
        self.instance_id = instance_id or make_instance_id(name)
        self.topics: TopicNames = settings.topics.names
        self.inbox_topic = self.topics.responses(name)
        self.inbox_partition: int | None = None
        # The process's identity on the cluster: also how the agent's consumer group
        # lists this member, which is how a replica tells a live task owner from a dead one.
        self.client_id = _client_id(f"{settings.kafka.client_id}-{self.instance_id}")
        client_id = self.client_id
        self._admin_args = admin_args(settings, client_id=f"{client_id}-admin")
        self.broker = KafkaBroker(
            **broker_args(settings, client_id=client_id),
            logger=_faststream_logger(),
            log_level=logging.DEBUG,
            graceful_timeout=30.0,
            # Handlers take the raw aiokafka record (see subscriber()); skipping
            # FastStream's dependency injection saves ~0.3 ms per record.
            apply_types=False,
        )
        self._specs: dict[str, TopicSpec] = {}
        self.need_topics([*caller_topic_specs(settings, name), *shared_topic_specs(settings)])
        self._pending: dict[str, ReplyQueue] = {}
        self._metrics = get_metrics()
        self._known_topics: set[str] = set()
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._inbox: Any = None
        self._started = False
        self._on_start: list[Callable[[], Awaitable[None]]] = []
        self._on_stop: list[Callable[[], Awaitable[None]]] = []

    # -- lifecycle -------------------------------------------------------------------------

    def on_lifecycle(
        self, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]
    ) -> None:
        """Run ``start`` once the bus is connected and ``stop`` before it disconnects."""
        self._on_start.append(start)
        self._on_stop.append(stop)

    def need_topics(self, specs: Iterable[TopicSpec]) -> None:
        """Ask for topics to be provisioned when the bus starts."""
        for spec in specs:
            self._specs.setdefault(spec.name, spec)

    @property
    def started(self) -> bool:
        """Whether :meth:`start` completed and :meth:`stop` was not called since."""
        return self._started

    async def start(self) -> None:
        """Provision topics, connect, and open the reply inbox.

        Raises:
            TopicProvisioningError: the cluster is unreachable or refused a topic.
        """
        if self._started:
            return
        if self.settings.topics.provision:
            await ensure_topics(self._admin_args, self._specs.values())
        partitions = await partition_count(self._admin_args, self.inbox_topic)
        self.inbox_partition = zlib.crc32(self.instance_id.encode()) % partitions
        self._inbox = self.subscriber(
            partitions=[TopicPartition(self.inbox_topic, self.inbox_partition, declare=False)],
            auto_offset_reset="latest",
            ack_policy=AckPolicy.MANUAL,
        )
        self._inbox(self._on_reply)
        self._admin = AIOKafkaAdminClient(**self._admin_args)
        await self._admin.start()
        # End-offset queries get a connection of their own: on a consumer's connection
        # they would queue behind its long-polling fetch (Kafka serves one request per
        # connection at a time) and take up to fetch_max_wait_ms each. A topic it has not
        # asked about before needs a metadata refresh first, retried after the backoff:
        # short, as nothing here is worth waiting for.
        self._offsets = AIOKafkaConsumer(
            **self._admin_args, enable_auto_commit=False, retry_backoff_ms=_OFFSETS_BACKOFF_MS
        )
        await self._offsets.start()
        await self.broker.start()
        # Fix the inbox position now: a reply produced before the consumer looked up
        # "latest" would otherwise be skipped.
        await self._inbox.consumer.position(
            AioTopicPartition(self.inbox_topic, self.inbox_partition)
        )
        self._started = True
        for start in self._on_start:
            await start()
        log.info(
            "bus %s connected to %s; replies on %s[%d]",
            self.instance_id,
            self.settings.kafka.bootstrap_servers,
            self.inbox_topic,
            self.inbox_partition,
        )

    def subscriber(self, *topics: str, **options: Any) -> Any:
        """A FastStream subscriber on this bus's broker that hands records over raw.

        FastStream would otherwise decode every body (JSON, by content type) before
        calling a handler, and never call it for a body that does not decode; agentbus
        handlers get the aiokafka ``ConsumerRecord`` and judge the bytes themselves.
        """
        options.setdefault("parser", _tolerant_parser)
        options.setdefault("decoder", _raw_record)
        options.setdefault("no_reply", True)
        options.setdefault("include_in_schema", False)
        options.setdefault("fetch_max_wait_ms", self.settings.kafka.fetch_max_wait_ms)
        return self.broker.subscriber(*topics, **options)

    async def stop(self) -> None:
        """Stop consuming, flush the producer and disconnect."""
        if not self._started:
            return
        self._started = False
        for stop in reversed(self._on_stop):
            await stop()
        await shut_down(self.broker.stop(), f"broker of {self.name}")
        if self._offsets is not None:
            await stop_consumer(self._offsets, f"end-offset reader of {self.name}")
            self._offsets = None
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- producing -------------------------------------------------------------------------

    async def publish(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        partition: int | None = None,
        wait: bool = True,
    ) -> RecordMetadata | None:
        """Produce one record and wait until the cluster acknowledged it (``acks=all``).

        With ``wait=False`` the record is handed to the producer and the call returns
        at once (for best-effort records only); delivery failures are logged.

        Raises:
            BrokerUnavailableError: the cluster did not acknowledge the record.
        """
        hdrs = dict(headers or {})
        hdrs.setdefault("content-type", "application/json")
        raw_key = key.encode() if isinstance(key, str) else key
        try:
            result = await self.broker.publish(
                value,
                topic,
                key=raw_key,
                partition=partition,
                headers=hdrs,
                correlation_id=hdrs.get(Headers.CORRELATION_ID),
                no_confirm=not wait,
            )
        except KafkaError as exc:
            raise BrokerUnavailableError(
                f"Kafka at {self.settings.kafka.bootstrap_servers} did not accept a record for "
                f"topic {topic!r}: {exc!r}"
            ) from exc
        if not wait:
            result.add_done_callback(_log_failed_delivery)
            return None
        metadata: RecordMetadata = result
        return metadata

    # -- replies ---------------------------------------------------------------------------

    @contextmanager
    def expect_replies(self, correlation_id: str) -> Iterator[ReplyQueue]:
        """Route replies carrying ``correlation_id`` to a queue while the block runs."""
        queue: ReplyQueue = asyncio.Queue()
        self._pending[correlation_id] = queue
        try:
            yield queue
        finally:
            self._pending.pop(correlation_id, None)

    async def _on_reply(self, record: ConsumerRecord[Any, Any]) -> None:
        self._metrics.delivery.labels(self.name, "reply").observe(
            max(0.0, now_ms() - record.timestamp) / 1000
        )
        correlation_id = None
        for key, value in record.headers or ():
            if key == Headers.CORRELATION_ID and value is not None:
                correlation_id = value.decode(errors="replace")
                break
        queue = self._pending.get(correlation_id) if correlation_id else None
        if queue is None:
            # A late reply to a call that timed out, or one for another instance that
            # shares this partition: neither is ours to handle.
            log.debug("dropping reply with unknown correlation id %r", correlation_id)
            return
        queue.put_nowait(record)

    # -- topology --------------------------------------------------------------------------

    async def topic_exists(self, topic: str) -> bool:
        """Whether ``topic`` exists on the cluster (positive answers are cached).

        Raises:
            BrokerUnavailableError: the cluster could not be asked.
        """
        if topic in self._known_topics:
            return True
        if self._admin is None:
            raise BrokerUnavailableError("the Kafka bus is not started; call start() first")
        try:
            names = await self._admin.list_topics()
        except KafkaError as exc:
            raise BrokerUnavailableError(
                f"could not list topics on Kafka at {self.settings.kafka.bootstrap_servers}: "
                f"{exc!r}"
            ) from exc
        self._known_topics.update(n for n in names if n.startswith(self.topics.prefix))
        return topic in self._known_topics

    async def end_offsets(
        self, partitions: Iterable[AioTopicPartition]
    ) -> dict[AioTopicPartition, int]:
        """The offset the next record of each partition will get (the log end).

        Raises:
            BrokerUnavailableError: the cluster could not be asked.
        """
        if self._offsets is None:
            raise BrokerUnavailableError("the Kafka bus is not started; call start() first")
        try:
            ends: dict[AioTopicPartition, int] = await self._offsets.end_offsets(list(partitions))
        except KafkaError as exc:
            raise BrokerUnavailableError(f"could not read end offsets: {exc!r}") from exc
        return ends

    async def group_members(self, group: str) -> set[str] | None:
        """Client ids of the live members of consumer group ``group`` (``None``: unknown)."""
        if self._admin is None:
            return None
        try:
            responses = await self._admin.describe_consumer_groups([group])
        except KafkaError as exc:
            log.warning("could not describe consumer group %s: %r", group, exc)
            return None
        members: set[str] = set()
        for response in responses:
            for entry in response.to_object().get("groups", []):
                if entry.get("error_code", 0) != 0:
                    return None
                members.update(m.get("client_id", "") for m in entry.get("members", []))
        return members

    async def ping(self, timeout: float = 1.0) -> bool:
        """Whether the cluster answers a metadata request within ``timeout`` seconds."""
        if self._admin is None:
            return False
        with suppress(Exception):
            async with asyncio.timeout(timeout):
                await self._admin.describe_cluster()
                return True
        return False


def _log_failed_delivery(future: asyncio.Future[RecordMetadata]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("a best-effort record was not delivered: %r", future.exception())


async def _tolerant_parser(
    record: ConsumerRecord[Any, Any], original: Callable[[Any], Awaitable[Any]]
) -> Any:
    """FastStream's parser, made to accept headers that are not UTF-8 or have no value.

    FastStream decodes every header strictly and drops a record it cannot parse
    with only a log line; such a record must reach the handler, which answers it or
    dead-letters it. FastStream sees the bad values as empty; the handler still gets
    the record exactly as it was sent.
    """
    try:
        return await original(record)
    except (UnicodeDecodeError, AttributeError):
        safe = dataclasses.replace(
            record, headers=tuple((k, _utf8_or_empty(v)) for k, v in record.headers or ())
        )
        message = await original(safe)
        message.raw_message = record
        return message


def _utf8_or_empty(value: bytes | None) -> bytes:
    if value is None:
        return b""
    try:
        value.decode()
    except UnicodeDecodeError:
        return b""
    return value


async def _raw_record(msg: Any) -> Any:
    """FastStream decoder that hands the handler the aiokafka record itself."""
    return msg.raw_message
