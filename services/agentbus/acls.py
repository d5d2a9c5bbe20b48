"""Kafka ACLs of an agent: the least privilege it needs, and creating them on a cluster.

Each agent logs in as its own principal (``User:<agent>``: a SCRAM user, or a
Strimzi ``KafkaUser`` of that name) and may do exactly this, with the topics of
:class:`agentbus.names.TopicNames` (all LITERAL patterns, host ``*``, ALLOW)::

    resource                    operations   why
    topic agent.<a>.requests    Read         its requests, consumed in group <a>
    topic agent.broadcast       Read         fan-out requests, consumed in group <a>
    group <a>                   Read         join its group, commit offsets
    topic agent.<a>.responses   Read         its reply inbox (no group)
    topic agent.registry        Read, Write  agent cards and heartbeats (no group)
    topic agent.tasks           Read, Write  task snapshots (no group)
    topic agent.<a>.dlq         Write        its dead letters
    topic agent.<c>.requests    Write        for each agent <c> it calls
    topic agent.<c>.responses   Write        for each agent <c> that calls it
    topic agent.broadcast       Write        only if it fans out (``broadcasts=True``)

A pure caller ``<n>`` (a process that asks agents but is none, such as the
``agentbus ask`` command line: a ``KafkaBus``, an ``AgentRegistry`` and
``AgentClients``; no consumer group, no task store, no card of its own) gets only
:func:`caller_acls`, the caller's part of the table above (``agentbus tail`` and
``agentbus dlq redrive`` read other topics and need an operator's login)::

    topic agent.<n>.responses   Read         its reply inbox (no group)
    topic agent.registry        Read         agent cards, to address agents by name
    topic agent.<t>.requests    Write        for each agent <t> it calls

Read and Write imply Describe (metadata, offsets), and since Kafka 3.0 Write on
any topic implies the cluster's IdempotentWrite, so neither is granted
separately. Nothing else is: no Read on another agent's requests, no Create,
Delete or Alter. Topics are made by an administrator (``ensure_topics`` with
the super user, or Strimzi ``KafkaTopic``s) and ACLs by :func:`create_acls` with
the super user (or Strimzi from ``KafkaUser.spec.authorization.acls``: one
entry per binding's resource, its operations in CamelCase, e.g. ``Read``).

Errors: :class:`AclProvisioningError` (an :class:`agentbus.errors.AgentbusError`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError, for_code
from aiokafka.protocol.admin import CreateAclsRequest_v1, DescribeAclsRequest
from aiokafka.protocol.api import Request

from agentbus.connection import connection_failure, login_of
from agentbus.errors import AgentbusError
from agentbus.names import TopicNames, validate_agent_name

__all__ = [
    "AclBinding",
    "AclProvisioningError",
    "Operation",
    "PatternType",
    "ResourceType",
    "agent_acls",
    "caller_acls",
    "create_acls",
    "describe_acls",
]


class AclProvisioningError(AgentbusError):
    """ACLs could not be created or read on the Kafka cluster."""


class ResourceType(IntEnum):
    """Kafka resource types (wire codes of the ACL requests)."""

    TOPIC = 2
    GROUP = 3
    CLUSTER = 4


class PatternType(IntEnum):
    """How a binding's resource name matches: the exact name, or every name it starts."""

    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    """Kafka ACL operations (wire codes)."""

    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12


_ANY = 1  # the filter code matching every resource type, pattern, operation and permission
_ALLOW = 3


@dataclass(frozen=True, order=True)
class AclBinding:
    """One ALLOW rule: ``principal`` may do ``operation`` on a resource, from any host.

    Attributes:
        resource_type: Topic, group or cluster.
        resource_name: Its name (``kafka-cluster`` for the cluster).
        pattern_type: LITERAL (exactly this name) or PREFIXED.
        operation: What is allowed.
        principal: Who, e.g. ``User:data``.
    """

    resource_type: ResourceType
    resource_name: str
    pattern_type: PatternType
    operation: Operation
    principal: str

    def __str__(self) -> str:
        kind = self.resource_type.name.lower()
        pattern = "" if self.pattern_type is PatternType.LITERAL else " (prefix)"
        return f"{self.principal} may {self.operation.name} {kind} {self.resource_name}{pattern}"


def agent_acls(
    agent: str,
    *,
    calls: Iterable[str] = (),
    called_by: Iterable[str] = (),
    broadcasts: bool = False,
    names: TopicNames | None = None,
    principal: str | None = None,
) -> list[AclBinding]:
    """The ACL bindings agent ``agent`` needs, and no more (see the module docstring).

    Args:
        agent: The agent; its consumer group has its name.
        calls: Agents it sends requests to.
        called_by: Agents (or other callers, such as the gateway) that send it requests.
        broadcasts: Whether it publishes fan-out requests on the broadcast topic.
        names: Topic names of the deployment (its prefix); no prefix if None.
        principal: Who gets the rights; ``User:<agent>`` if None.

    Returns:
        The bindings, sorted and without duplicates.

    Raises:
        ValueError: If a name is not a valid agent name.
    """
    t = names or TopicNames()
    who = principal or f"User:{agent}"
    read, write = Operation.READ, Operation.WRITE

    def topic(name: str, operation: Operation) -> AclBinding:
        return AclBinding(ResourceType.TOPIC, name, PatternType.LITERAL, operation, who)

    bindings = set(caller_acls(agent, calls=calls, names=t, principal=who))
    bindings |= {
        topic(t.requests(agent), read),
        topic(t.broadcast, read),
        AclBinding(ResourceType.GROUP, agent, PatternType.LITERAL, read, who),
        topic(t.registry, write),
        topic(t.tasks, read),
        topic(t.tasks, write),
        topic(t.dlq(agent), write),
    }
    bindings |= {topic(t.responses(validate_agent_name(caller)), write) for caller in called_by}
    if broadcasts:
        bindings.add(topic(t.broadcast, write))
    return sorted(bindings)


def caller_acls(
    name: str,
    *,
    calls: Iterable[str] = (),
    names: TopicNames | None = None,
    principal: str | None = None,
) -> list[AclBinding]:
    """The ACL bindings a pure caller ``name`` needs, and no more (see the module docstring).

    Every agent is also a caller: :func:`agent_acls` includes these.

    Args:
        name: The caller; its reply inbox is ``agent.<name>.responses``.
        calls: Agents it sends requests to.
        names: Topic names of the deployment (its prefix); no prefix if None.
        principal: Who gets the rights; ``User:<name>`` if None.

    Returns:
        The bindings, sorted and without duplicates.

    Raises:
        ValueError: If a name is not a valid agent name.
    """
    t = names or TopicNames()
    who = principal or f"User:{name}"
    read, write = Operation.READ, Operation.WRITE

    def topic(topic_name: str, operation: Operation) -> AclBinding:
        return AclBinding(ResourceType.TOPIC, topic_name, PatternType.LITERAL, operation, who)

    bindings = {
        topic(t.responses(validate_agent_name(name)), read),
        topic(t.registry, read),
    }
    bindings |= {topic(t.requests(validate_agent_name(callee)), write) for callee in calls}
    return sorted(bindings)


class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    """CreateAcls v1 with many creations (aiokafka's own request carries one)."""

    API_KEY = 30

    def __init__(self, bindings: Sequence[AclBinding]) -> None:
        self._rows = [
            (
                b.resource_type,
                b.resource_name,
                b.pattern_type,
                b.principal,
                "*",
                b.operation,
                _ALLOW,
            )
            for b in bindings
        ]

    def build(self, request_struct_class: type[Any]) -> Any:
        return request_struct_class(self._rows)


async def create_acls(connection: Mapping[str, Any], bindings: Iterable[AclBinding]) -> None:
    """Create ``bindings`` on the cluster; existing ones are kept, so this is idempotent.

    Args:
        connection: aiokafka client arguments (``agentbus.connection.admin_args``) of a
            principal allowed to alter the cluster's ACLs, usually the super user.
        bindings: The rules to create, e.g. from :func:`agent_acls`.

    Raises:
        AclProvisioningError: The cluster could not be reached, the login failed, or the
            cluster refused a binding; the message says which and what to do.
    """
    wanted = list(dict.fromkeys(bindings))
    if not wanted:
        return
    response = await _ask(connection, _CreateAcls(wanted), "create ACLs")
    refused = [
        f"{binding}: {_explain(code, message)}"
        for binding, (code, message) in zip(wanted, response.creation_responses, strict=True)
        if code
    ]
    if refused:
        raise AclProvisioningError(
            f"Kafka at {connection.get('bootstrap_servers')} refused {len(refused)} of "
            f"{len(wanted)} ACLs: " + "; ".join(refused)
        )
    await _wait_until_listed(connection, wanted)


async def _wait_until_listed(
    connection: Mapping[str, Any], wanted: list[AclBinding], timeout: float = 15.0
) -> None:
    """Wait until a broker lists ``wanted``.

    Brokers apply new ACLs a moment after the controller accepted them; a client
    starting at once would otherwise still be refused.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not set(wanted) <= set(await describe_acls(connection)):
        if loop.time() > deadline:
            raise AclProvisioningError(
                f"Kafka at {connection.get('bootstrap_servers')} accepted the ACLs but does "
                f"not list them after {timeout:.0f} s; is the cluster healthy?"
            )
        await asyncio.sleep(0.05)


async def describe_acls(
    connection: Mapping[str, Any], *, principal: str | None = None
) -> list[AclBinding]:
    """The ALLOW bindings on the cluster, of ``principal`` only if given, sorted.

    Raises:
        AclProvisioningError: The cluster could not be reached or refused to answer.
    """
    request = DescribeAclsRequest(_ANY, None, _ANY, principal, None, _ANY, _ANY)
    response = await _ask(connection, request, "describe ACLs")
    if response.error_code:
        raise AclProvisioningError(
            f"Kafka at {connection.get('bootstrap_servers')} refused to describe ACLs: "
            f"{_explain(response.error_code, response.error_message)}"
        )
    return sorted(
        AclBinding(ResourceType(kind), name, PatternType(pattern), Operation(op), who)
        for kind, name, pattern, acls in response.resources
        for who, _host, op, permission in acls
        if permission == _ALLOW and kind in iter(ResourceType) and op in iter(Operation)
    )


async def _ask(connection: Mapping[str, Any], request: Any, what: str) -> Any:
    servers = connection.get("bootstrap_servers")
    admin = AIOKafkaAdminClient(**connection)
    try:
        try:
            await admin.start()
        except KafkaConnectionError as exc:
            reason = await connection_failure(connection)
            raise AclProvisioningError(
                f"could not {what}: no connection to Kafka at {servers} as "
                f"{login_of(connection)} ({reason}); "
                "check AGENTBUS_KAFKA__BOOTSTRAP_SERVERS and the ..._SECURITY__* settings"
            ) from exc
        return await admin._send_request(request)  # aiokafka has no ACL API
    except KafkaError as exc:
        raise AclProvisioningError(f"could not {what} on Kafka at {servers}: {exc!r}") from exc
    finally:
        await admin.close()


def _explain(code: int, message: str | None) -> str:
    error = for_code(code)
    hint = {
        31: "this principal may not alter ACLs; use the super user",
        54: "the cluster has no authorizer; set authorizer.class.name on the brokers",
    }.get(code, "")
    return f"{error.__name__} ({code}){': ' + message if message else ''}" + (
        f"; {hint}" if hint else ""
    )
