"""Kafka-specific behaviour: the wire, routing of replies, tracing, ops and failures."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest
from a2a.client import ClientCallContext, ClientConfig, ClientFactory, create_client
from a2a.helpers import new_text_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.types import Message, Part, Role, SendMessageRequest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentbus import (
    KAFKA_BINDING,
    AgentClients,
    AgentSpec,
    BrokerUnavailableError,
    CallError,
    create_agent_app,
    register_kafka_transport,
)
from agentbus.localkafka import LocalKafka
from agentbus.provisioning import ensure_topics, shared_topic_specs
from echo_agent.app import create_spec
from tests.support import kafka_caller, kafka_settings, serve


def message(text: str) -> SendMessageRequest:
    return SendMessageRequest(
        message=Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=text)])
    )


async def text_of(client, text: str, **kw) -> str:  # type: ignore[no-untyped-def]
    events = [e async for e in client.send_message(message(text), **kw)]
    return str(events[-1].message.parts[0].text)


async def test_an_unmodified_sdk_client_talks_over_kafka(echo_agents: dict[str, str]) -> None:
    """A plain a2a-sdk ClientFactory, taught the KAFKA binding, calls the agent by its card."""
    settings = kafka_settings(echo_agents["bootstrap"])
    async with kafka_caller(settings, name="plain-sdk") as clients:
        card = await clients.card("echo")
        factory = ClientFactory(
            ClientConfig(streaming=False, supported_protocol_bindings=[KAFKA_BINDING])
        )
        register_kafka_transport(factory, clients.bus)  # type: ignore[arg-type]

        client = factory.create(card)
        reply = await text_of(client, "plain")

    assert reply == "echo: plain"
    assert card.supported_interfaces[0].url == "kafka:agent.echo.requests"


async def test_an_unmodified_sdk_client_talks_over_http(echo_agents: dict[str, str]) -> None:
    """The SDK's own create_client reaches the HTTP agent from its URL alone."""
    client = await create_client(echo_agents["http"] + "/")

    reply = await text_of(client, "plain http")
    await client.close()

    assert reply == "echo: plain http"


async def test_every_reply_reaches_the_instance_that_waits_for_it(
    echo_agents: dict[str, str],
) -> None:
    """Two instances of one caller, calling at once, each get exactly their own replies."""
    settings = kafka_settings(echo_agents["bootstrap"])

    async def instance(tag: str) -> list[tuple[str, str]]:
        async with kafka_caller(settings, name="twin") as clients:
            client = await clients.get("echo")
            texts = [f"{tag}-{i}" for i in range(40)]
            replies = await asyncio.gather(*(text_of(client, t) for t in texts))
            return list(zip(texts, replies, strict=True))

    pairs = [p for group in await asyncio.gather(instance("a"), instance("b")) for p in group]

    assert len(pairs) == 80
    assert all(reply == f"echo: {text}" for text, reply in pairs)


class Relay(AgentExecutor):
    """Asks echo and wraps its answer: a two-hop call."""

    def __init__(self, clients: AgentClients) -> None:
        self.clients = clients

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Forward the text to echo, answer with echo's reply."""
        client = await self.clients.get("echo")
        answer = await text_of(client, context.get_user_input())
        await event_queue.enqueue_event(new_text_message(f"relay: {answer}"))

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Nothing to stop: every call is short."""
        del context, event_queue


async def test_a_two_hop_call_is_one_trace(
    echo_agents: dict[str, str], spans: InMemorySpanExporter
) -> None:
    """Caller → relay → echo over Kafka shows up as one trace with a span in every hop."""
    settings = kafka_settings(echo_agents["bootstrap"])
    spec = AgentSpec("relay", "relays to echo", "1", [], make_executor=Relay)
    async with (
        serve(create_agent_app(settings, spec), settings.ops.port),
        kafka_caller(settings) as clients,
    ):
        client = await clients.get("relay")
        with trace.get_tracer("tests").start_as_current_span("user request") as root:
            reply = await text_of(client, "trace me")
        trace_id = root.get_span_context().trace_id

    names = {s.name for s in spans.get_finished_spans() if s.context.trace_id == trace_id}
    assert reply == "relay: echo: trace me"
    assert {
        "user request",
        "send agent.relay.requests",
        "process agent.relay.requests",
        "send agent.echo.requests",
        "process agent.echo.requests",
    } <= names


async def test_ops_endpoints_report_health_readiness_and_metrics(
    echo_agents: dict[str, str],
) -> None:
    """The ops port answers /healthz, /readyz (group joined) and /metrics with agentbus series."""
    async with httpx.AsyncClient(base_url=echo_agents["kafka"]) as http:
        health = await http.get("/healthz")
        ready = await http.get("/readyz")
        metrics = await http.get("/metrics")

    assert health.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["checks"]["consumer_group"]["ok"] is True
    assert "agentbus_requests_total" in metrics.text
    assert "agentbus_consumer_lag_records" in metrics.text


async def test_topic_provisioning_is_idempotent_and_compacts_state(bootstrap_servers: str) -> None:
    """Provisioning twice creates nothing the second time; registry and tasks are compacted."""
    settings = kafka_settings(bootstrap_servers, topics={"prefix": f"t{uuid.uuid4().hex[:6]}."})
    connection = {"bootstrap_servers": bootstrap_servers}
    specs = shared_topic_specs(settings)

    first = await ensure_topics(connection, specs)
    second = await ensure_topics(connection, specs)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, settings.topics.names.tasks)]
        )
    finally:
        await admin.close()

    assert sorted(first) == sorted(s.name for s in specs)
    assert second == []
    entries = {e[0]: e[1] for e in described[0].resources[0][4]}
    assert entries["cleanup.policy"] == "compact"


async def test_offsets_are_committed_once_requests_are_answered(
    echo_agents: dict[str, str],
) -> None:
    """After answering, the agent's group has committed up to the end of its request topic."""
    settings = kafka_settings(echo_agents["bootstrap"])
    async with kafka_caller(settings) as clients:
        client = await clients.get("echo")
        await asyncio.gather(*(text_of(client, f"c{i}") for i in range(20)))

    consumer = AIOKafkaConsumer(
        bootstrap_servers=echo_agents["bootstrap"], group_id="echo", enable_auto_commit=False
    )
    await consumer.start()
    try:
        parts = [TopicPartition("agent.echo.requests", p) for p in range(4)]
        ends = await consumer.end_offsets(parts)
        for _ in range(50):
            committed = {tp: await consumer.committed(tp) or 0 for tp in parts}
            if committed == ends:
                break
            await asyncio.sleep(0.1)
    finally:
        await consumer.stop()

    assert committed == ends


async def test_losing_the_broker_fails_readiness_and_calls_clearly(
    tmp_path: Path, kafka_cache_dir: Path
) -> None:
    """With the broker stopped, /readyz turns 503 and a call fails with a clear error in time."""
    broker = LocalKafka(tmp_path / "kafka", cache_dir=kafka_cache_dir)
    await asyncio.to_thread(broker.start)
    try:
        settings = kafka_settings(broker.bootstrap_servers)

        async with (
            serve(create_agent_app(settings, create_spec()), settings.ops.port) as url,
            kafka_caller(settings) as clients,
        ):
            client = await clients.get("echo")
            assert await text_of(client, "before") == "echo: before"

            await asyncio.to_thread(broker.stop)
            async with httpx.AsyncClient(base_url=url) as http:
                for _ in range(40):
                    ready = await http.get("/readyz")
                    if ready.status_code == 503:
                        break
                    await asyncio.sleep(0.25)
            started = time.monotonic()
            with pytest.raises(CallError) as failure:
                await text_of(client, "during", context=ClientCallContext(timeout=3))
            elapsed = time.monotonic() - started

            await asyncio.to_thread(broker.start)

        assert ready.status_code == 503
        assert ready.json()["checks"]["kafka"]["ok"] is False
        assert elapsed < 10
        assert "echo" in str(failure.value)
        assert isinstance(failure.value, BrokerUnavailableError) or "3 s" in str(failure.value)
    finally:
        await asyncio.to_thread(broker.stop)
