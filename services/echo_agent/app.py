"""Wiring of the echo agent: its card details and executor factory."""

from __future__ import annotations

from a2a.types import AgentSkill

from agentbus import AgentClients, AgentSpec
from echo_agent.executor import EchoExecutor
from echo_agent.settings import EchoSettings

__all__ = ["create_spec"]


def create_spec(settings: EchoSettings | None = None) -> AgentSpec:
    """The echo agent as agentbus runs it."""
    settings = settings or EchoSettings()

    def make_executor(clients: AgentClients) -> EchoExecutor:
        del clients  # echo calls nobody
        return EchoExecutor(work_delay_s=settings.work_delay_s)

    return AgentSpec(
        name=settings.name,
        description="Echoes messages back; runs demo tasks with progress for tests.",
        version="1.0.0",
        skills=[
            AgentSkill(
                id="echo",
                name="Echo",
                description="Replies with the text it received.",
                tags=["test"],
                examples=["hello", "task 3 0.1: count to three"],
            )
        ],
        make_executor=make_executor,
    )
