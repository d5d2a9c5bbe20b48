"""Topics: what each one needs, and creating the missing ones idempotently at start-up.

On Kubernetes, Strimzi ``KafkaTopic`` resources own the topics and provisioning is
switched off (``AGENTBUS_TOPICS__PROVISION=false``); the specs here are then only
the reference the chart's contract test compares against.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError

from agentbus.connection import connection_failure, login_of
from agentbus.errors import TopicProvisioningError
from agentbus.settings import AgentbusSettings

__all__ = [
    "TopicSpec",
    "agent_topic_specs",
    "caller_topic_specs",
    "ensure_topics",
    "shared_topic_specs",
]

log = logging.getLogger(__name__)

_HEADROOM_BYTES = 64 * 1024
"""Room for headers and batch overhead above the largest accepted value."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic as agentbus needs it."""

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=dict)


def _base_config(settings: AgentbusSettings) -> dict[str, str]:
    return {
        "min.insync.replicas": str(settings.topics.min_insync_replicas),
        "max.message.bytes": str(settings.kafka.max_request_bytes + _HEADROOM_BYTES),
    }


def agent_topic_specs(settings: AgentbusSettings, agent: str) -> list[TopicSpec]:
    """The topics an agent serving requests needs: its requests and its dead letters."""
    t = settings.topics
    base = _base_config(settings)
    return [
        TopicSpec(
            t.names.requests(agent),
            t.request_partitions,
            t.replication_factor,
            {**base, "retention.ms": str(t.request_retention_ms)},
        ),
        TopicSpec(
            t.names.dlq(agent),
            1,
            t.replication_factor,
            {**base, "retention.ms": str(30 * 24 * 3600 * 1000)},
        ),
    ]


def caller_topic_specs(settings: AgentbusSettings, caller: str) -> list[TopicSpec]:
    """The topic replies to ``caller`` arrive on."""
    t = settings.topics
    return [
        TopicSpec(
            t.names.responses(caller),
            t.response_partitions,
            t.replication_factor,
            {**_base_config(settings), "retention.ms": str(t.response_retention_ms)},
        )
    ]


def shared_topic_specs(settings: AgentbusSettings) -> list[TopicSpec]:
    """Topics every deployment has once: broadcast, registry and task snapshots."""
    t = settings.topics
    base = _base_config(settings)
    compacted = {**base, "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"}
    return [
        TopicSpec(
            t.names.broadcast,
            t.shared_partitions,
            t.replication_factor,
            {**base, "retention.ms": str(t.request_retention_ms)},
        ),
        TopicSpec(t.names.registry, 1, t.replication_factor, compacted),
        TopicSpec(t.names.tasks, t.shared_partitions, t.replication_factor, compacted),
    ]


async def ensure_topics(connection: Mapping[str, Any], specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics of ``specs`` that do not exist yet; return the names created.

    Idempotent and safe when several processes start at once. Existing topics are
    left as they are; one with fewer partitions than wanted is reported in the log.

    Raises:
        TopicProvisioningError: the cluster could not be reached or refused a topic.
    """
    wanted = {s.name: s for s in specs}
    if not wanted:
        return []
    admin = AIOKafkaAdminClient(**connection)
    servers = connection.get("bootstrap_servers")
    try:
        try:
            await admin.start()
        except KafkaConnectionError as exc:
            reason = await connection_failure(connection)
            raise TopicProvisioningError(
                f"could not provision topics: no connection to Kafka at {servers} as "
                f"{login_of(connection)} ({reason}); check AGENTBUS_KAFKA__BOOTSTRAP_SERVERS "
                "and the AGENTBUS_KAFKA__SECURITY__* settings"
            ) from exc
        existing = set(await admin.list_topics())
        created = await _create_missing(admin, [s for n, s in wanted.items() if n not in existing])
        for name in sorted(wanted.keys() & existing):
            await _warn_if_smaller(admin, wanted[name])
        if created:
            await _wait_for_leaders(admin, created)
    except KafkaError as exc:
        raise TopicProvisioningError(
            f"could not provision topics on Kafka at {servers}: {exc!r}; is the broker running "
            "and AGENTBUS_KAFKA__BOOTSTRAP_SERVERS right?"
        ) from exc
    finally:
        await admin.close()
    if created:
        log.info("created topics: %s", ", ".join(created))
    return created


async def _create_missing(admin: AIOKafkaAdminClient, missing: list[TopicSpec]) -> list[str]:
    if not missing:
        return []
    response = await admin.create_topics(
        [
            NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=dict(s.config))
            for s in missing
        ]
    )
    created: list[str] = []
    for name, code, message in _topic_errors(response):
        if code == 0:
            created.append(name)
        elif code != TopicAlreadyExistsError.errno:
            raise TopicProvisioningError(
                f"Kafka refused to create topic {name!r}: error {code} {message or ''}; check "
                "the broker's limits (partitions, replication factor) or create it yourself "
                "and set AGENTBUS_TOPICS__PROVISION=false"
            )
    return created


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, topics: list[str], timeout: float = 15.0
) -> None:
    """Wait until every partition of new ``topics`` has a leader.

    Clients that start right after creation would otherwise log "not leader" errors
    while the controller elects leaders, and their first requests would be retried.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        described = await admin.describe_topics(topics)
        if all(
            entry.get("error_code", 0) == 0
            and entry.get("partitions")
            and all(p.get("leader", -1) >= 0 for p in entry["partitions"])
            for entry in described
        ):
            return
        await asyncio.sleep(0.05)
    log.warning("new topics %s still have partitions without a leader", ", ".join(topics))


def _topic_errors(response: Any) -> list[tuple[str, int, str | None]]:
    rows: list[tuple[str, int, str | None]] = []
    for row in getattr(response, "topic_errors", []):
        name, code, *rest = row
        rows.append((name, code, rest[0] if rest else None))
    return rows


async def _warn_if_smaller(admin: AIOKafkaAdminClient, spec: TopicSpec) -> None:
    try:
        described = await admin.describe_topics([spec.name])
    except KafkaError:  # pragma: no cover - only a log line depends on it
        return
    for topic in described:
        partitions = len(topic.get("partitions", []))
        if 0 < partitions < spec.partitions:
            log.warning(
                "topic %s has %d partitions, fewer than the %d configured; "
                "replicas beyond %d will stay idle",
                spec.name,
                partitions,
                spec.partitions,
                partitions,
            )


async def partition_count(connection: Mapping[str, Any], topic: str) -> int:
    """Number of partitions of ``topic``.

    Raises:
        TopicProvisioningError: the topic does not exist or the cluster is unreachable.
    """
    admin = AIOKafkaAdminClient(**connection)
    try:
        await admin.start()
        described = await admin.describe_topics([topic])
    except KafkaError as exc:
        raise TopicProvisioningError(f"could not describe topic {topic!r}: {exc!r}") from exc
    finally:
        await admin.close()
    for entry in described:
        if entry.get("topic") == topic and entry.get("error_code", 0) == 0:
            return len(entry.get("partitions", []))
    raise TopicProvisioningError(
        f"topic {topic!r} does not exist; start with AGENTBUS_TOPICS__PROVISION=true or create it"
    )
