"""Wiring of the balance agent: its card details and executor factory."""

from __future__ import annotations

from a2a.types import AgentSkill

from agentbus import AgentClients, AgentSpec
from balance_agent.executor import BalanceExecutor
from balance_agent.settings import BalanceSettings

__all__ = ["create_spec"]


def create_spec(settings: BalanceSettings | None = None) -> AgentSpec:
    """The balance agent as agentbus runs it."""
    settings = settings or BalanceSettings()

    def make_executor(clients: AgentClients) -> BalanceExecutor:
        return BalanceExecutor(clients, settings)

    return AgentSpec(
        name=settings.name,
        description=(
            "Writes game-balance reports: asks the data agent (win rates) and the cs agent "
            "(player feedback) at once and judges each race and matchup."
        ),
        version="1.0.0",
        skills=[
            AgentSkill(
                id="balance-report",
                name="Balance report",
                description="Verdict per race and matchup with evidence, community signal, advice.",
                tags=["balance", "report", "orchestration"],
                examples=["테란 승률 분석", "analyse Terran win rates", "ZvP balance in 5.0.12"],
            )
        ],
        make_executor=make_executor,
    )
