"""Wiring of the cs agent: its card details and executor factory."""

from __future__ import annotations

import logging
import time

from a2a.types import AgentSkill

from agentbus import AgentClients, AgentSpec
from cs_agent.dataset import generate_tickets
from cs_agent.executor import CsExecutor
from cs_agent.settings import CsSettings

__all__ = ["create_spec"]

log = logging.getLogger(__name__)


def create_spec(settings: CsSettings | None = None) -> AgentSpec:
    """The cs agent as agentbus runs it."""
    settings = settings or CsSettings()

    def make_executor(clients: AgentClients) -> CsExecutor:
        del clients  # cs calls nobody
        started = time.perf_counter()
        tickets = generate_tickets(settings.seed, settings.tickets)
        generated = time.perf_counter()
        executor = CsExecutor(tickets, simulated_work_s=settings.simulated_work_s)
        log.info(
            "cs: generated %d tickets (seed %d) in %.2f s, read their topics and sentiment "
            "in %.2f s",
            len(tickets),
            settings.seed,
            generated - started,
            time.perf_counter() - generated,
        )
        return executor

    return AgentSpec(
        name=settings.name,
        description=(
            "Analyses player feedback tickets (Korean and English): complaint volume per "
            "race, top topics, sentiment and the change from the previous patch."
        ),
        version="1.0.0",
        skills=[
            AgentSkill(
                id="feedback-analysis",
                name="Player feedback analysis",
                description=(
                    "Answers with a short summary and a DataPart of schema "
                    "agentbus.cs.feedback/v1. Accepts text or a DataPart "
                    '{"query": {"race", "patch", "compare_patch", "topic"}}.'
                ),
                tags=["feedback", "customer-support", "sentiment", "balance"],
                examples=[
                    "5.0.13 패치 프로토스 불만",
                    "what do players say about Zerg?",
                    "complaints about terran in 5.0.13 vs 5.0.12",
                    "매칭 관련 문의 추이",
                ],
            )
        ],
        make_executor=make_executor,
    )
