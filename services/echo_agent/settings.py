"""Settings of the echo agent (``AGENTBUS_ECHO_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["EchoSettings"]


class EchoSettings(BaseSettings):
    """Knobs for tests and benchmarks."""

    model_config = SettingsConfigDict(env_prefix="AGENTBUS_ECHO_", extra="ignore")

    name: str = Field(default="echo", description="The agent name it serves as.")
    work_delay_s: float = Field(
        default=0.0, ge=0.0, le=60.0, description="Simulated work before every reply."
    )
