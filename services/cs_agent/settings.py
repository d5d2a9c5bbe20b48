"""Settings of the cs agent (``AGENTBUS_CS_*``)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cs_agent.dataset import DEFAULT_SEED, DEFAULT_TICKETS, MIN_TICKETS

__all__ = ["CsSettings"]


class CsSettings(BaseSettings):
    """What the cs agent serves as and the tickets it analyses."""

    model_config = SettingsConfigDict(env_prefix="AGENTBUS_CS_", extra="ignore")

    name: str = Field(default="cs", description="The agent name it serves as.")
    seed: int = Field(default=DEFAULT_SEED, description="Seed of the generated tickets.")
    tickets: int = Field(default=DEFAULT_TICKETS, description="How many tickets to generate.")
    simulated_work_s: float = Field(
        default=0.0,
        ge=0.0,
        le=60.0,
        description="Simulated work before every answer (benchmarks of slow agents).",
    )

    @field_validator("tickets")
    @classmethod
    def _enough_tickets(cls, value: int) -> int:
        if value < MIN_TICKETS:
            raise ValueError(
                f"AGENTBUS_CS_TICKETS={value} is too few: the analysis needs at least "
                f"{MIN_TICKETS} tickets (default {DEFAULT_TICKETS})"
            )
        return value
