"""Running an agent: one process, one ops port, its executor served over the transport.

``create_agent_app(settings, spec)`` wires everything for one agent and returns
an ASGI app whose lifespan connects and disconnects; ``run_agent(spec)`` serves it
with uvicorn. With ``AGENTBUS_TRANSPORT=kafka`` the executor is served from the
agent's request topic (and, unless ``AGENTBUS_OPS__A2A_HTTP=false``, over HTTP on
the ops port too); with ``http`` it is served over HTTP only and Kafka is unused.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn
from a2a.server.agent_execution import AgentExecutor
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskStore
from a2a.types import AgentSkill
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from agentbus.bus import KafkaBus
from agentbus.card import build_agent_card
from agentbus.clients import AgentClients
from agentbus.names import validate_agent_name
from agentbus.ops import Readiness, ops_routes
from agentbus.registry import AgentRegistry
from agentbus.server import KafkaConsumerHandler, make_request_handler
from agentbus.settings import AgentbusSettings, load_settings
from agentbus.taskstore import KafkaTaskStore
from agentbus.tracing import configure_tracing

__all__ = ["AgentSpec", "create_agent_app", "run_agent"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentSpec:
    """What an agent is: its name, card details and how to build its executor."""

    name: str
    description: str
    version: str
    skills: Sequence[AgentSkill]
    make_executor: Callable[[AgentClients], AgentExecutor]
    """Builds the executor; it gets clients to call other agents by name."""
    streaming: bool = True


def create_agent_app(settings: AgentbusSettings, spec: AgentSpec) -> Starlette:
    """The ASGI app of one agent process: ops endpoints, A2A over HTTP and/or Kafka."""
    validate_agent_name(spec.name)
    kafka = settings.transport == "kafka"
    serve_http = not kafka or settings.ops.a2a_http
    bus = KafkaBus(settings, name=spec.name) if kafka else None
    registry = AgentRegistry(bus) if bus is not None else None
    clients = AgentClients(settings, bus=bus, registry=registry)
    executor = spec.make_executor(clients)
    card = build_agent_card(
        settings,
        name=spec.name,
        description=spec.description,
        version=spec.version,
        skills=spec.skills,
        serve_kafka=kafka,
        serve_http=serve_http,
        streaming=spec.streaming,
    )
    task_store: TaskStore | KafkaTaskStore = (
        KafkaTaskStore(bus, agent=spec.name) if bus is not None else InMemoryTaskStore()
    )
    request_handler = make_request_handler(executor, card, task_store)
    handler = (
        KafkaConsumerHandler(
            spec.name, executor, bus=bus, agent_card=card, request_handler=request_handler
        )
        if bus is not None
        else None
    )
    readiness = Readiness()
    if bus is not None and handler is not None:
        readiness.add("kafka", _kafka_check(bus))
        readiness.add("consumer_group", _group_check(handler))

    routes: list[BaseRoute] = list(ops_routes(readiness))
    if serve_http:
        routes += create_agent_card_routes(card)
        routes += create_jsonrpc_routes(request_handler, "/")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        del app
        if bus is not None and handler is not None and registry is not None:
            await bus.start()
            handler.start_background()
            await registry.register(card)
            log.info("agent %s serving %s (transport kafka)", spec.name, handler.topic)
        else:
            log.info("agent %s serving A2A over HTTP", spec.name)
        try:
            yield {"agent_card": card, "clients": clients, "bus": bus}
        finally:
            if handler is not None:
                await handler.drain()
            else:
                await request_handler.aclose()
            if registry is not None:
                await registry.close()
            await clients.aclose()
            if bus is not None:
                await bus.stop()

    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(OpenTelemetryMiddleware, excluded_urls="healthz,readyz,metrics")],
    )


def _kafka_check(bus: KafkaBus) -> Any:
    async def check() -> tuple[bool, str]:
        if not bus.started:
            return False, "not connected yet"
        ok = await bus.ping(timeout=1.5)
        return ok, (
            f"broker {bus.settings.kafka.bootstrap_servers} answers"
            if ok
            else f"broker {bus.settings.kafka.bootstrap_servers} does not answer"
        )

    return check


def _group_check(handler: KafkaConsumerHandler) -> Any:
    async def check() -> tuple[bool, str]:
        if not handler.joined:
            return False, f"not yet a member of consumer group '{handler.agent_name}'"
        parts = sorted(tp.partition for tp in handler.assigned)
        return True, f"group '{handler.agent_name}', partitions {parts} of {handler.topic}"

    return check


def run_agent(spec: AgentSpec, settings: AgentbusSettings | None = None) -> None:
    """Serve ``spec`` on the ops port until SIGINT/SIGTERM, then drain and stop."""
    settings = settings or load_settings()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    configure_tracing(f"{spec.name}-agent")
    app = create_agent_app(settings, spec)
    uvicorn.run(
        app,
        host=settings.ops.host,
        port=settings.ops.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=30,
    )
