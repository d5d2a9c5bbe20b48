"""Running an agent: one process, one ops port, its executor served over the transport.

``create_agent_app(settings, spec)`` wires everything for one agent and returns
an ASGI app whose lifespan connects and disconnects; ``run_agent(spec)`` serves it
with uvicorn. With ``AGENTBUS_TRANSPORT=kafka`` the executor is served from the
agent's request topic (and, unless ``AGENTBUS_OPS__A2A_HTTP=false``, over HTTP on
the ops port too); with ``http`` it is served over HTTP only and Kafka is unused.
"""

from __future__ import annotations

import contextlib
import gc
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

__all__ = [
    "AgentRuntime",
    "AgentSpec",
    "create_agent_app",
    "run_agent",
    "serve_app",
    "setup_logging",
    "tracing_middleware",
]

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


class AgentRuntime:
    """Everything one agent process runs, wired; :meth:`start` connects, :meth:`stop` drains.

    ``create_agent_app`` wraps it in the standard ASGI app; a process with an API of its
    own (the gateway) embeds it in its app and adds :attr:`routes`.
    """

    def __init__(self, settings: AgentbusSettings, spec: AgentSpec) -> None:
        validate_agent_name(spec.name)
        self.settings = settings
        self.spec = spec
        kafka = settings.transport == "kafka"
        self.serve_http = not kafka or settings.ops.a2a_http
        self.bus = KafkaBus(settings, name=spec.name) if kafka else None
        self.registry = AgentRegistry(self.bus) if self.bus is not None else None
        self.clients = AgentClients(settings, bus=self.bus, registry=self.registry)
        self.executor = spec.make_executor(self.clients)
        self.card = build_agent_card(
            settings,
            name=spec.name,
            description=spec.description,
            version=spec.version,
            skills=spec.skills,
            serve_kafka=kafka,
            serve_http=self.serve_http,
            streaming=spec.streaming,
        )
        self.task_store: TaskStore | KafkaTaskStore = (
            KafkaTaskStore(self.bus, agent=spec.name)
            if self.bus is not None
            else InMemoryTaskStore()
        )
        self.request_handler = make_request_handler(self.executor, self.card, self.task_store)
        self.handler = (
            KafkaConsumerHandler(
                spec.name,
                self.executor,
                bus=self.bus,
                agent_card=self.card,
                task_store=self.task_store,
                request_handler=self.request_handler,
            )
            if self.bus is not None and isinstance(self.task_store, KafkaTaskStore)
            else None
        )
        self.readiness = Readiness()
        if self.bus is not None and self.handler is not None:
            self.readiness.add("kafka", _kafka_check(self.bus))
            self.readiness.add("consumer_group", _group_check(self.handler))

    @property
    def routes(self) -> list[BaseRoute]:
        """Ops routes, plus A2A over HTTP (card and JSON-RPC at ``/``) when served."""
        routes: list[BaseRoute] = list(ops_routes(self.readiness))
        if self.serve_http:
            routes += create_agent_card_routes(self.card)
            routes += create_jsonrpc_routes(self.request_handler, "/")
        return routes

    async def start(self) -> None:
        """Connect to Kafka (when it is the transport), start consuming, register the card."""
        if self.bus is not None and self.handler is not None and self.registry is not None:
            await self.bus.start()
            self.handler.start_background()
            await self.registry.register(self.card)
            log.info("agent %s serving %s (transport kafka)", self.spec.name, self.handler.topic)
        else:
            log.info("agent %s serving A2A over HTTP", self.spec.name)

    async def stop(self) -> None:
        """Finish what is in flight, commit, and disconnect."""
        if self.handler is not None:
            await self.handler.drain()
        else:
            await self.request_handler.aclose()
        if self.registry is not None:
            await self.registry.close()
        await self.clients.aclose()
        if self.bus is not None:
            await self.bus.stop()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[AgentRuntime]:
        """Start for the duration of the block."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()


def tracing_middleware() -> Middleware:
    """OpenTelemetry for the HTTP side, leaving ops endpoints out of traces."""
    return Middleware(OpenTelemetryMiddleware, excluded_urls="healthz,readyz,metrics")


def create_agent_app(settings: AgentbusSettings, spec: AgentSpec) -> Starlette:
    """The ASGI app of one agent process: ops endpoints, A2A over HTTP and/or Kafka."""
    runtime = AgentRuntime(settings, spec)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        del app
        async with runtime.running():
            yield {"runtime": runtime}

    return Starlette(routes=runtime.routes, lifespan=lifespan, middleware=[tracing_middleware()])


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
        owned: dict[str, list[int]] = {}
        for tp in handler.assigned:
            owned.setdefault(tp.topic, []).append(tp.partition)
        listing = "; ".join(f"{topic} {sorted(parts)}" for topic, parts in sorted(owned.items()))
        return True, f"group '{handler.agent_name}' owns {listing or 'no partitions'}"

    return check


def setup_logging() -> None:
    """Log INFO and above to stderr with timestamps (once per process)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


class _FreezeAfterStartup:
    """ASGI wrapper: what exists once startup completed leaves the collector's view.

    Everything made by then (the SDK, protobuf descriptors, an agent's data) lives as
    long as the process; a full collection scanned it all again and again, stalling the
    event loop 60-160 ms in the middle of requests. Frozen, it is never scanned.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            if message["type"] == "lifespan.startup.complete":
                gc.collect()
                gc.freeze()
            await send(message)

        await self.app(scope, receive, sending)


def serve_app(app: Any, settings: AgentbusSettings, *, service_name: str) -> None:
    """Serve ``app`` on the ops port with logging and tracing set up, until SIGTERM."""
    setup_logging()
    configure_tracing(service_name)
    uvicorn.run(
        _FreezeAfterStartup(app),
        host=settings.ops.host,
        port=settings.ops.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=30,
    )


def run_agent(spec: AgentSpec, settings: AgentbusSettings | None = None) -> None:
    """Serve ``spec`` on the ops port until SIGINT/SIGTERM, then drain and stop."""
    settings = settings or load_settings()
    setup_logging()  # before the app is built: building an executor may log (a DB generated)
    serve_app(create_agent_app(settings, spec), settings, service_name=f"{spec.name}-agent")
