"""Settings of the balance agent (``AGENTBUS_BALANCE_*``)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["BalanceSettings"]


class BalanceSettings(BaseSettings):
    """Who balance asks, how, and what counts as balanced."""

    model_config = SettingsConfigDict(env_prefix="AGENTBUS_BALANCE_", extra="ignore")

    name: str = "balance"
    data_agent: str = Field(default="data", description="Agent that answers win-rate questions.")
    cs_agent: str = Field(default="cs", description="Agent that answers player-feedback questions.")
    deadline_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description=(
            "Longest wait for the others in a synchronous request (less if the caller's "
            "deadline is nearer). Asynchronous requests carry no deadline and wait."
        ),
    )
    fanout: Literal["scatter", "parallel", "sequential"] = Field(
        default="scatter",
        description=(
            "scatter: one request to both (published once on Kafka); parallel: one request "
            "each at the same time; sequential: data, then cs (for comparison only)."
        ),
    )
    band_low: float = Field(default=0.45, gt=0, lt=0.5)
    band_high: float = Field(default=0.55, gt=0.5, lt=1)

    @model_validator(mode="after")
    def _symmetric_enough(self) -> Self:
        if self.band_low >= self.band_high:
            msg = "AGENTBUS_BALANCE_BAND_LOW must be below AGENTBUS_BALANCE_BAND_HIGH"
            raise ValueError(msg)
        return self
