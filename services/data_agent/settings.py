"""Settings of the data agent (``AGENTBUS_DATA_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MAX_MATCHES", "MIN_MATCHES", "DataSettings"]

MIN_MATCHES: Final = 100_000
MAX_MATCHES: Final = 5_000_000


class DataSettings(BaseSettings):
    """Where the match database lives, how it is generated, and test knobs."""

    model_config = SettingsConfigDict(env_prefix="AGENTBUS_DATA_", extra="ignore")

    name: str = Field(default="data", description="The agent name it serves as.")
    db_path: Path = Field(
        default=Path(".local/data/matches.sqlite"),
        description="The SQLite match database; relative paths start at the working directory.",
    )
    seed: int = Field(default=20261203, description="Seed the match database is generated from.")
    matches: int = Field(default=120_000, description="How many matches to generate.")
    simulated_work_s: float = Field(
        default=0.0,
        ge=0.0,
        le=60.0,
        description="Extra seconds of pretend work per answer (benchmarks of slow agents only).",
    )

    @field_validator("matches")
    @classmethod
    def _enough_matches(cls, value: int) -> int:
        if value < MIN_MATCHES:
            raise ValueError(
                f"AGENTBUS_DATA_MATCHES is {value}; set at least {MIN_MATCHES}, or the confidence"
                " intervals grow too wide to show the balance story"
            )
        if value > MAX_MATCHES:
            raise ValueError(
                f"AGENTBUS_DATA_MATCHES is {value}; set at most {MAX_MATCHES}, generation time and"
                " file size grow with it"
            )
        return value
