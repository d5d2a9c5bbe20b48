"""Wiring of the gateway: the FastAPI app around the gateway agent's runtime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib.resources import files

from a2a.types import AgentSkill
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.middleware import Middleware

from agentbus import AgentbusSettings, AgentClients, AgentRuntime, AgentSpec, load_settings
from agentbus.service import tracing_middleware
from gateway.api import install_error_handlers, router
from gateway.executor import GatewayExecutor
from gateway.limits import BodyLimit
from gateway.settings import GatewaySettings
from gateway.webhooks import WebhookSender

__all__ = ["create_app", "create_spec"]


def create_spec(settings: GatewaySettings, webhooks: WebhookSender) -> AgentSpec:
    """The gateway as an agent: it runs background tasks on behalf of people."""

    def make_executor(clients: AgentClients) -> GatewayExecutor:
        return GatewayExecutor(clients, settings, webhooks)

    return AgentSpec(
        name=settings.name,
        description="The human entry point: carries questions to agents in the background.",
        version="1.0.0",
        skills=[
            AgentSkill(
                id="background-task",
                name="Background task",
                description="Asks the named agent without a deadline; mirrors its answer.",
                tags=["gateway"],
            )
        ],
        make_executor=make_executor,
    )


def create_app(
    settings: AgentbusSettings | None = None, gateway: GatewaySettings | None = None
) -> FastAPI:
    """The gateway's ASGI app: API, console, OpenAPI docs, ops endpoints."""
    settings = settings or load_settings()
    gateway = gateway or GatewaySettings()
    webhooks = WebhookSender(gateway)
    runtime = AgentRuntime(settings, create_spec(gateway, webhooks))
    console = files("gateway").joinpath("console.html").read_text(encoding="utf-8")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        del app
        async with runtime.running():
            yield
        await webhooks.aclose()

    app = FastAPI(
        title="agentbus gateway",
        version="1.0.0",
        description=(
            "Ask the game-balance team. `POST /v1/ask` answers now; `POST /v1/tasks` queues "
            "the work (poll `GET /v1/tasks/{id}`, stream `/events`, or pass `webhook_url`)."
        ),
        lifespan=lifespan,
        middleware=[
            Middleware(BodyLimit, max_bytes=gateway.max_body_bytes),
            tracing_middleware(),
        ],
    )
    app.state.runtime = runtime
    app.state.gateway = gateway
    install_error_handlers(app)
    app.include_router(router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home() -> str:
        return console

    app.router.routes.extend(runtime.routes)
    return app
