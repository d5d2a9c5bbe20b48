"""Wiring of the data agent."""

from __future__ import annotations

import logging

import pytest

from agentbus import load_settings
from agentbus.clients import AgentClients
from data_agent.app import create_spec
from data_agent.dataset import MatchDatabase
from data_agent.executor import DataExecutor
from data_agent.settings import MIN_MATCHES, DataSettings
from tests.data_agent.conftest import SEED


def test_the_spec_names_the_agent_and_its_skill() -> None:
    """The spec serves as 'data' with a win-rate skill."""
    spec = create_spec(DataSettings())

    assert spec.name == "data"
    assert [skill.id for skill in spec.skills] == ["winrates"]


async def test_the_executor_opens_the_configured_database(
    database: MatchDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    """Building the executor opens the database at db_path and logs how it got it."""
    settings = DataSettings(db_path=database.path, seed=SEED, matches=MIN_MATCHES)
    clients = AgentClients(load_settings(transport="http"))

    with caplog.at_level(logging.INFO, logger="data_agent.app"):
        executor = create_spec(settings).make_executor(clients)
    await clients.aclose()

    assert isinstance(executor, DataExecutor)
    assert "reused" in caplog.text
