"""Fixtures for agentbus tests: agents served in-process against the real broker.

* ``serve(app)``: runs an ASGI app with uvicorn on a free loopback port.
* ``echo_agents`` (session): the echo agent twice, one on Kafka, one on HTTP.
* ``callers`` (session): an ``AgentClients`` per transport, as a caller uses them.
* ``clients`` (parametrised): the caller for ``kafka`` and for ``http``, so one
  behavioural test runs over both transports with the same assertions.
* ``spans`` (session): every span finished in this process (in-memory exporter).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentbus import (
    AgentbusSettings,
    AgentClients,
    AgentRegistry,
    KafkaBus,
    create_agent_app,
    load_settings,
)
from agentbus.localkafka import LocalKafka
from echo_agent.app import create_spec
from echo_agent.settings import EchoSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def kafka_settings(bootstrap: str, **overrides: Any) -> AgentbusSettings:
    """Settings of a Kafka deployment on the test broker, with small test timeouts."""
    base: dict[str, Any] = {
        "transport": "kafka",
        "kafka": {"bootstrap_servers": bootstrap},
        "topics": {"request_partitions": 4, "response_partitions": 2, "shared_partitions": 2},
        "calls": {"timeout_s": 15},
        "ops": {"host": "127.0.0.1", "port": free_port(), "a2a_http": False},
    }
    for key, value in overrides.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) and key in base else value
    return load_settings(**base)


@contextlib.asynccontextmanager
async def serve(app: Any, port: int) -> AsyncIterator[str]:
    """Serve ``app`` on ``port`` until the block ends; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped while starting")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def kafka_caller(
    settings: AgentbusSettings, name: str = "tests"
) -> AsyncIterator[AgentClients]:
    """A started bus with a registry, as any calling process has."""
    bus = KafkaBus(settings, name=name)
    registry = AgentRegistry(bus)
    clients = AgentClients(settings, bus=bus, registry=registry)
    await bus.start()
    try:
        yield clients
    finally:
        await clients.aclose()
        await registry.close()
        await bus.stop()


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
    http_cfg = kafka_settings(
        echo_agents["bootstrap"], transport="http", http={"agents": {"echo": echo_agents["http"]}}
    )
    http_clients = AgentClients(http_cfg)
    async with kafka_caller(kafka_cfg) as kafka_clients:
        yield {"kafka": kafka_clients, "http": http_clients}
    await http_clients.aclose()


@pytest.fixture(params=["kafka", "http"])
def clients(request: pytest.FixtureRequest, callers: dict[str, AgentClients]) -> AgentClients:
    return callers[request.param]
