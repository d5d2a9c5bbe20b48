"""Security: SCRAM over TLS, least-privilege ACLs per agent, and refusals that fail fast.

The integration tests share one secure broker of this module (SASL_SSL with
SCRAM-SHA-512, ACLs enforced). Its topics are made by the super user ``admin``
and each agent's ACLs come from :func:`agentbus.acls.agent_acls`, for this
deployment: ``balance`` calls ``data`` and ``cs``; ``gateway`` calls ``echo``.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from a2a.client import ClientCallContext
from a2a.helpers import get_text_parts
from a2a.types import Part
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from agentbus import AgentbusSettings, AgentNotFoundError, create_agent_app, scatter
from agentbus.acls import (
    AclBinding,
    AclProvisioningError,
    Operation,
    PatternType,
    ResourceType,
    agent_acls,
    caller_acls,
    create_acls,
    describe_acls,
)
from agentbus.connection import admin_args
from agentbus.errors import TopicProvisioningError
from agentbus.localkafka import LocalKafka, SecurityOptions, broker_is_ready
from agentbus.localkafka.probe import ProbeError
from agentbus.names import TopicNames
from agentbus.provisioning import (
    agent_topic_specs,
    caller_topic_specs,
    ensure_topics,
    shared_topic_specs,
)
from echo_agent.app import create_spec
from echo_agent.settings import EchoSettings
from tests.support import kafka_caller, kafka_settings, serve, user_message

T = TopicNames()
READ, WRITE = Operation.READ, Operation.WRITE
ACLS = {
    "data": agent_acls("data", called_by=["balance"]),
    "cs": agent_acls("cs", called_by=["balance"]),
    "balance": agent_acls("balance", calls=["data", "cs"], broadcasts=True),
    "echo": agent_acls("echo", called_by=["gateway"]),
    "gateway": agent_acls("gateway", calls=["echo"]),
}


def topic(name: str, operation: Operation, who: str) -> AclBinding:
    return AclBinding(ResourceType.TOPIC, name, PatternType.LITERAL, operation, f"User:{who}")


# -- the ACL model, without a broker -----------------------------------------------------------


def test_an_agent_gets_exactly_the_rights_of_the_model() -> None:
    """data, called by balance: its inputs, its group, the shared topics, its DLQ, its caller."""
    expected = {
        topic("agent.data.requests", READ, "data"),
        topic("agent.broadcast", READ, "data"),
        AclBinding(ResourceType.GROUP, "data", PatternType.LITERAL, READ, "User:data"),
        topic("agent.data.responses", READ, "data"),
        topic("agent.registry", READ, "data"),
        topic("agent.registry", WRITE, "data"),
        topic("agent.tasks", READ, "data"),
        topic("agent.tasks", WRITE, "data"),
        topic("agent.data.dlq", WRITE, "data"),
        topic("agent.balance.responses", WRITE, "data"),
    }

    assert set(ACLS["data"]) == expected
    assert len(ACLS["data"]) == len(expected)


@pytest.mark.parametrize("agent", sorted(ACLS))
def test_no_agent_may_read_what_is_addressed_to_another(agent: str) -> None:
    """Reads are limited to the agent's own requests, inbox and group, and the shared topics."""
    own = {T.requests(agent), T.responses(agent), T.broadcast, T.registry, T.tasks}

    reads = {b.resource_name for b in ACLS[agent] if b.operation is READ}

    assert reads == own | {agent}
    assert {b.resource_name for b in ACLS[agent] if b.resource_type is ResourceType.GROUP} == {
        agent
    }


@pytest.mark.parametrize("agent", sorted(ACLS))
def test_no_agent_may_administer_the_cluster(agent: str) -> None:
    """Only Read and Write on literal names: no Create, Delete, Alter, cluster or prefix rights."""
    assert {b.operation for b in ACLS[agent]} <= {READ, WRITE}
    assert {b.pattern_type for b in ACLS[agent]} == {PatternType.LITERAL}
    assert all(b.resource_type is not ResourceType.CLUSTER for b in ACLS[agent])


def test_callers_may_write_requests_only_of_the_agents_they_call() -> None:
    """A fan-out caller writes the requests of its callees and the broadcast topic, no others."""
    writes = {b.resource_name for b in ACLS["balance"] if b.operation is WRITE}

    assert writes == {
        "agent.data.requests",
        "agent.cs.requests",
        "agent.broadcast",
        "agent.balance.dlq",
        "agent.registry",
        "agent.tasks",
    }
    assert topic("agent.broadcast", WRITE, "data") not in ACLS["data"]


def test_the_deployment_prefix_and_the_principal_are_honoured() -> None:
    """Topic names carry the prefix; the group (the agent name) does not; any principal works."""
    bindings = agent_acls("data", names=TopicNames("prod."), principal="User:CN=data")

    assert topic("prod.agent.data.requests", READ, "CN=data") in bindings
    assert AclBinding(ResourceType.GROUP, "data", PatternType.LITERAL, READ, "User:CN=data") in (
        bindings
    )


def test_a_pure_caller_may_read_its_inbox_and_the_registry_and_write_its_callees() -> None:
    """The caller cli reads its replies and the cards, and writes the requests of its callees."""
    bindings = caller_acls("cli", calls=["data", "gateway"], names=TopicNames("prod."))

    assert bindings == sorted(
        {
            topic("prod.agent.cli.responses", READ, "cli"),
            topic("prod.agent.registry", READ, "cli"),
            topic("prod.agent.data.requests", WRITE, "cli"),
            topic("prod.agent.gateway.requests", WRITE, "cli"),
        }
    )


@pytest.mark.parametrize("agent", sorted(ACLS))
def test_every_agent_has_the_rights_of_a_caller(agent: str) -> None:
    """An agent process calls others through the same bus, so caller_acls is part of agent_acls."""
    calls = {"balance": ["data", "cs"], "gateway": ["echo"]}.get(agent, [])

    as_caller = caller_acls(agent, calls=calls, principal="User:x")
    as_agent = agent_acls(agent, calls=calls, principal="User:x")

    assert set(as_caller) < set(as_agent)


def test_a_caller_with_an_invalid_name_is_refused() -> None:
    """A caller or callee name that cannot be an agent name is a ValueError."""
    with pytest.raises(ValueError, match="invalid agent name"):
        caller_acls("cli", calls=["Data Agent"])


@pytest.mark.parametrize(
    "arguments",
    [{"agent": "data", "calls": ["Data Agent"]}, {"agent": "x.y", "principal": "User:x"}],
)
def test_invalid_agent_names_are_refused(arguments: dict[str, Any]) -> None:
    """A name that cannot be an agent name is a ValueError, not a strange ACL."""
    with pytest.raises(ValueError, match="invalid agent name"):
        agent_acls(**arguments)


# -- the secure broker ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secure_kafka(
    tmp_path_factory: pytest.TempPathFactory, kafka_cache_dir: Path
) -> Iterator[LocalKafka]:
    options = SecurityOptions.random_passwords("data", "cs", "echo", "gateway")
    data_dir = tmp_path_factory.mktemp("secure-kafka")
    with LocalKafka(data_dir, cache_dir=kafka_cache_dir, security=options) as broker:
        yield broker


def secure_settings(kafka: LocalKafka, user: str, **overrides: Any) -> AgentbusSettings:
    """Settings of a process logging in as ``user``; only the admin provisions topics."""
    return kafka_settings(
        kafka.bootstrap_servers,
        kafka={"security": kafka.client_security(user)},
        topics={"provision": False},
        **overrides,
    )


def client_args(kafka: LocalKafka, user: str) -> dict[str, Any]:
    return admin_args(secure_settings(kafka, user), client_id=f"test-{user}")


@pytest.fixture(scope="module")
async def provisioned(secure_kafka: LocalKafka) -> LocalKafka:
    admin = secure_settings(secure_kafka, "admin")
    specs = [*shared_topic_specs(admin), *caller_topic_specs(admin, "balance")]
    for agent in ("data", "cs", "echo", "gateway"):
        specs += [*agent_topic_specs(admin, agent), *caller_topic_specs(admin, agent)]
    await ensure_topics(client_args(secure_kafka, "admin"), specs)
    await create_acls(
        client_args(secure_kafka, "admin"), [b for bindings in ACLS.values() for b in bindings]
    )
    return secure_kafka


async def produce(args: dict[str, Any], topic_name: str, value: bytes) -> None:
    producer = AIOKafkaProducer(**args, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic_name, value)
    finally:
        await producer.stop()


async def first_record(consumer: AIOKafkaConsumer) -> bytes | None:
    """Start ``consumer`` and return the value of the first record it gets (30 s at most)."""
    async with asyncio.timeout(30):
        await consumer.start()
        record = await consumer.getone()
    value: bytes | None = record.value
    return value


@pytest.mark.kafka
async def test_an_agent_consumes_its_requests_in_its_group_and_answers_its_caller(
    provisioned: LocalKafka,
) -> None:
    """User data reads agent.data.requests in group data, commits, and writes balance's inbox."""
    request = f"question-{uuid.uuid4()}".encode()
    await produce(client_args(provisioned, "admin"), "agent.data.requests", request)
    consumer = AIOKafkaConsumer(
        "agent.data.requests",
        **client_args(provisioned, "data"),
        group_id="data",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            record = await consumer.getone()
        await consumer.commit()
    finally:
        await consumer.stop()

    await produce(client_args(provisioned, "data"), "agent.balance.responses", b"answer")

    assert record.value == request


@pytest.mark.kafka
async def test_another_agent_cannot_read_an_agents_requests(provisioned: LocalKafka) -> None:
    """User cs, in its own group, is refused agent.data.requests: topic authorization fails."""
    consumer = AIOKafkaConsumer(
        "agent.data.requests",
        **client_args(provisioned, "cs"),
        group_id="cs",
        auto_offset_reset="earliest",
    )

    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await first_record(consumer)
    finally:
        await consumer.stop()


@pytest.mark.kafka
async def test_an_agent_cannot_join_another_agents_group(provisioned: LocalKafka) -> None:
    """User cs may read its own requests, but not as a member of group data."""
    consumer = AIOKafkaConsumer(
        "agent.cs.requests",
        **client_args(provisioned, "cs"),
        group_id="data",
        auto_offset_reset="earliest",
    )

    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await first_record(consumer)
    finally:
        await consumer.stop()


@pytest.mark.kafka
async def test_an_agent_cannot_write_another_agents_dead_letters(provisioned: LocalKafka) -> None:
    """User cs may write agent.cs.dlq but producing to agent.data.dlq is refused."""
    await produce(client_args(provisioned, "cs"), "agent.cs.dlq", b"own dead letter")

    with pytest.raises(TopicAuthorizationFailedError):
        async with asyncio.timeout(30):
            await produce(client_args(provisioned, "cs"), "agent.data.dlq", b"forged")


@pytest.mark.kafka
async def test_acls_are_created_idempotently_and_read_back(provisioned: LocalKafka) -> None:
    """Creating an agent's ACLs again changes nothing; the cluster lists exactly them."""
    admin = client_args(provisioned, "admin")

    await create_acls(admin, ACLS["data"])
    listed = await describe_acls(admin, principal="User:data")

    assert listed == ACLS["data"]


@pytest.mark.kafka
async def test_only_the_super_user_may_create_acls(provisioned: LocalKafka) -> None:
    """An agent granting itself more rights is refused with the reason and what to do."""
    grab = [topic("agent.data.requests", READ, "cs")]

    with pytest.raises(AclProvisioningError, match=r"ClusterAuthorizationFailed.*super user"):
        await create_acls(client_args(provisioned, "cs"), grab)


@pytest.mark.kafka
async def test_a_wrong_password_is_refused_with_a_clear_error(provisioned: LocalKafka) -> None:
    """A login with a wrong password fails fast, and the error names the failed authentication."""
    security = {**provisioned.client_security("data"), "password_file": None, "password": "nope"}
    settings = kafka_settings(provisioned.bootstrap_servers, kafka={"security": security})

    async with asyncio.timeout(20):
        with pytest.raises(AclProvisioningError) as caught:
            await describe_acls(admin_args(settings, client_id="wrong-password"))

    assert "as data" in str(caught.value)
    assert "SaslAuthenticationFailed" in str(caught.value)
    assert "nope" not in str(caught.value)


@pytest.mark.kafka
async def test_an_agent_with_a_wrong_password_is_told_so_at_start(provisioned: LocalKafka) -> None:
    """Provisioning its topics, the first thing an agent does, names the failed login."""
    security = {**provisioned.client_security("data"), "password_file": None, "password": "nope"}
    settings = kafka_settings(provisioned.bootstrap_servers, kafka={"security": security})

    async with asyncio.timeout(20):
        with pytest.raises(TopicProvisioningError) as caught:
            await ensure_topics(
                admin_args(settings, client_id="wrong-password"),
                agent_topic_specs(settings, "data"),
            )

    assert "as data" in str(caught.value)
    assert "SaslAuthenticationFailed" in str(caught.value)
    assert "nope" not in str(caught.value)


@pytest.mark.kafka
@pytest.mark.parametrize(
    "security",
    [{"mode": "plaintext"}, {"mode": "tls"}],
    ids=["no-tls-no-sasl", "tls-without-sasl"],
)
async def test_a_client_without_tls_or_sasl_fails_fast(
    provisioned: LocalKafka, security: dict[str, Any]
) -> None:
    """Plaintext or TLS-only clients on the SASL_SSL port get a connection error, not a hang."""
    if security["mode"] == "tls":
        security = {**security, "ca_file": str(provisioned.ca_file)}
    settings = kafka_settings(provisioned.bootstrap_servers, kafka={"security": security})
    consumer = AIOKafkaConsumer(**admin_args(settings, client_id="intruder"))

    async with asyncio.timeout(20):
        with pytest.raises(KafkaConnectionError):
            await consumer.start()
    await consumer.stop()


@pytest.mark.kafka
async def test_a_caller_without_rights_on_an_agent_is_told_why_it_cannot_see_it(
    provisioned: LocalKafka,
) -> None:
    """Gateway may call echo only: data's request topic exists but is hidden from it."""
    caller = secure_settings(provisioned, "gateway")

    async with kafka_caller(caller, name="gateway") as clients:
        client = await clients.get("data")
        with pytest.raises(AgentNotFoundError) as caught:
            _ = [e async for e in client.send_message(user_message(Part(text="hello")))]

    assert "no agent named 'data'" in str(caught.value)
    assert "'gateway' has no ACL to describe and write it" in str(caught.value)


@pytest.mark.kafka
async def test_an_agent_serves_a_caller_over_scram_and_tls(provisioned: LocalKafka) -> None:
    """echo, logged in as user echo, answers gateway, logged in as user gateway, with only ACLs."""
    agent = secure_settings(provisioned, "echo")
    caller = secure_settings(provisioned, "gateway")

    async with (
        serve(create_agent_app(agent, create_spec(EchoSettings())), agent.ops.port),
        kafka_caller(caller, name="gateway") as clients,
    ):
        client = await clients.get("echo")
        events = [e async for e in client.send_message(user_message(Part(text="over TLS")))]

    assert events[-1].message.parts[0].text == "echo: over TLS"


@pytest.mark.kafka
@pytest.mark.parametrize("broadcast", [False, True], ids=["direct", "broadcast"])
async def test_a_caller_that_may_not_broadcast_scatters_by_direct_requests(
    provisioned: LocalKafka, broadcast: bool
) -> None:
    """Gateway may write echo's requests but not agent.broadcast: scatter asks echo directly.

    With ``calls.broadcast`` left on, the refused broadcast is the agent's error, at once.
    """
    agent = secure_settings(provisioned, "echo")
    caller = secure_settings(provisioned, "gateway", calls={"broadcast": broadcast})

    async with (
        serve(create_agent_app(agent, create_spec(EchoSettings())), agent.ops.port),
        kafka_caller(caller, name="gateway") as clients,
    ):
        async with asyncio.timeout(10):
            results = await scatter(
                clients,
                ["echo"],
                user_message(Part(text="scattered")),
                context=ClientCallContext(timeout=20),
            )

    if broadcast:
        assert results["echo"].status == "error"
        assert "TopicAuthorizationFailed" in (results["echo"].error or "")
    else:
        assert results["echo"].status == "ok"
        assert get_text_parts(results["echo"].parts) == ["echo: scattered"]


@pytest.mark.kafka
def test_the_readiness_probe_needs_the_right_login(provisioned: LocalKafka) -> None:
    """The launcher's probe logs in as the super user; a wrong password is refused by name."""
    admin = provisioned.client_security("admin")
    context = ssl.create_default_context(cafile=admin["ca_file"])
    host, port = provisioned.host, int(provisioned.port or 0)

    ready = broker_is_ready(host, port, tls=context, scram=("admin", provisioned.users["admin"]))
    with pytest.raises(ProbeError, match="login as 'admin' refused"):
        broker_is_ready(host, port, tls=context, scram=("admin", "wrong"))

    assert ready


@pytest.mark.kafka
def test_no_secret_reaches_a_log_and_secret_files_are_private(provisioned: LocalKafka) -> None:
    """Passwords, the keystore and controller secrets are in no log; secret files are mode 600."""
    root = provisioned.data_dir
    properties = (root / "server.properties").read_text()
    secrets = [
        *provisioned.users.values(),
        (root / "tls" / "store.password").read_text().strip(),
        *re.findall(r'(?:password|user___controller)="([^"]+)"', properties),
    ]
    logs = provisioned.log_path.read_text() + provisioned.jvm_log_path.read_text()
    private = [
        root / "server.properties",
        root / "scram-users.json",
        *(root / "secrets").iterdir(),
        root / "tls" / "broker.p12",
        root / "tls" / "store.password",
    ]

    assert len(set(secrets)) == len(provisioned.users) + 2  # + keystore and controller
    assert not [s for s in secrets if s in logs]
    assert {p.name: p.stat().st_mode & 0o777 for p in private} == {p.name: 0o600 for p in private}
    assert not list(root.glob("format.args"))
