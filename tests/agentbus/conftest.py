"""Fixtures for agentbus tests: agents served in-process against the real broker.

* ``echo_agents`` (session): the echo agent twice, one on Kafka, one on HTTP.
* ``callers`` (session): an ``AgentClients`` per transport, as a caller uses them.
* ``clients`` (parametrised): the caller for ``kafka`` and for ``http``, so one
  behavioural test runs over both transports with the same assertions.
* ``spans`` (session): every span finished in this process (in-memory exporter).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentbus import (
    AgentClients,
    create_agent_app,
)
from agentbus.localkafka import LocalKafka
from echo_agent.app import create_spec
from echo_agent.settings import EchoSettings
from tests.support import free_port, http_settings, kafka_caller, kafka_settings, serve


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture(scope="session")
async def echo_agents(
    kafka: LocalKafka, spans: InMemorySpanExporter
) -> AsyncIterator[dict[str, str]]:
    kafka_cfg = kafka_settings(kafka.bootstrap_servers)
    http_cfg = kafka_settings(kafka.bootstrap_servers, transport="http", ops={"port": free_port()})
    spec = create_spec(EchoSettings())
    async with (
        serve(create_agent_app(kafka_cfg, spec), kafka_cfg.ops.port) as kafka_url,
        serve(create_agent_app(http_cfg, spec), http_cfg.ops.port) as http_url,
    ):
        yield {"kafka": kafka_url, "http": http_url, "bootstrap": kafka.bootstrap_servers}


@pytest.fixture(scope="session")
async def callers(echo_agents: dict[str, str]) -> AsyncIterator[dict[str, AgentClients]]:
    kafka_cfg = kafka_settings(echo_agents["bootstrap"])
    http_cfg = http_settings(echo_agents["bootstrap"], {"echo": echo_agents["http"]})
    http_clients = AgentClients(http_cfg)
    async with kafka_caller(kafka_cfg) as kafka_clients:
        yield {"kafka": kafka_clients, "http": http_clients}
    await http_clients.aclose()


@pytest.fixture(params=["kafka", "http"])
def clients(request: pytest.FixtureRequest, callers: dict[str, AgentClients]) -> AgentClients:
    return callers[request.param]
