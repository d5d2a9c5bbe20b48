"""The whole game-balance team in-process, on the real broker, one server per service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agentbus import AgentbusSettings, create_agent_app
from agentbus.localkafka import LocalKafka
from balance_agent.app import create_spec as balance_spec
from balance_agent.settings import BalanceSettings
from cs_agent.app import create_spec as cs_spec
from cs_agent.settings import CsSettings
from data_agent.app import create_spec as data_spec
from data_agent.settings import DataSettings
from gateway.app import create_app as gateway_app
from gateway.settings import GatewaySettings
from tests.support import kafka_settings, serve


@dataclass
class Team:
    """Starts and stops the services of one deployment individually."""

    bootstrap: str
    db_path: Path
    prefix: str
    running: dict[str, contextlib.AsyncExitStack] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def settings(self) -> AgentbusSettings:
        """Settings of this team's deployment (its own topic prefix)."""
        return kafka_settings(self.bootstrap, topics={"prefix": self.prefix})

    def _app(self, name: str, settings: AgentbusSettings) -> Any:
        if name == "data":
            return create_agent_app(settings, data_spec(DataSettings(db_path=self.db_path)))
        if name == "cs":
            return create_agent_app(settings, cs_spec(CsSettings()))
        if name == "balance":
            return create_agent_app(settings, balance_spec(BalanceSettings(deadline_s=5)))
        return gateway_app(settings, GatewaySettings())

    async def start(self, name: str) -> str:
        """Start service ``name`` on a fresh port; return its URL."""
        settings = self.settings()
        stack = contextlib.AsyncExitStack()
        self.urls[name] = await stack.enter_async_context(
            serve(self._app(name, settings), settings.ops.port)
        )
        self.running[name] = stack
        return self.urls[name]

    async def stop(self, name: str) -> None:
        """Stop service ``name`` the way SIGTERM does (drain, commit, leave)."""
        await self.running.pop(name).aclose()

    async def stop_all(self) -> None:
        """Stop every running service, newest first."""
        for name in list(self.running)[::-1]:
            await self.stop(name)


@pytest.fixture
async def team(
    kafka: LocalKafka, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> AsyncIterator[Team]:
    """A team on its own topic prefix, so tests do not see each other's requests."""
    db = tmp_path_factory.getbasetemp() / "team-matches.sqlite"
    prefix = f"{request.node.name[:20].replace('_', '-').lower()}."
    team = Team(kafka.bootstrap_servers, db, prefix)
    try:
        yield team
    finally:
        await team.stop_all()
