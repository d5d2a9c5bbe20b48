"""Wiring of the data agent: its card details and executor factory."""

from __future__ import annotations

import logging

from a2a.types import AgentSkill

from agentbus import AgentClients, AgentSpec
from data_agent.dataset import MatchDatabase
from data_agent.executor import DataExecutor
from data_agent.settings import DataSettings

__all__ = ["create_spec"]

log = logging.getLogger(__name__)


def create_spec(settings: DataSettings | None = None) -> AgentSpec:
    """The data agent as agentbus runs it; the match database is opened with the executor."""
    settings = settings or DataSettings()

    def make_executor(clients: AgentClients) -> DataExecutor:
        del clients  # the data agent calls nobody
        database = MatchDatabase.open(
            settings.db_path, seed=settings.seed, matches=settings.matches
        )
        if database.generated_in_s is None:
            log.info("match database %s reused (seed %d)", database.path, database.seed)
        else:
            log.info(
                "match database %s generated: %d matches from seed %d in %.2f s",
                database.path,
                database.matches,
                database.seed,
                database.generated_in_s,
            )
        return DataExecutor(database, simulated_work_s=settings.simulated_work_s)

    return AgentSpec(
        name=settings.name,
        description=(
            "Win-rate statistics from the match database: per race and matchup, by patch,"
            " map and bracket, with 95% Wilson intervals and the trend since another patch."
        ),
        version="1.0.0",
        skills=[
            AgentSkill(
                id="winrates",
                name="Win rates",
                description=(
                    "Answers a win-rate question in Korean or English, or a DataPart"
                    ' {"query": {...}}, with text and an agentbus.data.winrates/v1 DataPart.'
                ),
                tags=["statistics", "balance", "win rate"],
                examples=[
                    "analyse Terran win rates",
                    "TvZ win rate on patch 5.0.13",
                    "저그 대 프로토스 5.0.12 패치 승률",
                    "terran trend 5.0.12 to 5.0.13",
                ],
            )
        ],
        make_executor=make_executor,
    )
