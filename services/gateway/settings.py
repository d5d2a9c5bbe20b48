"""Settings of the gateway (``AGENTBUS_GATEWAY_*``)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["GatewaySettings"]


class GatewaySettings(BaseSettings):
    """Limits and defaults of the public API."""

    model_config = SettingsConfigDict(env_prefix="AGENTBUS_GATEWAY_", extra="ignore")

    name: str = "gateway"
    default_agent: str = Field(default="balance", description="Agent asked when none is named.")
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    sync_timeout_s: float = Field(default=30.0, gt=0, description="Default timeout of /v1/ask.")
    max_timeout_s: float = Field(default=300.0, gt=0, le=3600)
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    webhook_attempts: int = Field(default=6, ge=1, le=20)
    webhook_backoff_s: float = Field(default=0.5, ge=0, le=60)
    webhook_allow_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts webhooks may call ('example.com', '*.example.com'); empty: any host.",
    )

    @model_validator(mode="after")
    def _timeouts(self) -> Self:
        if self.sync_timeout_s > self.max_timeout_s:
            msg = (
                f"AGENTBUS_GATEWAY_SYNC_TIMEOUT_S={self.sync_timeout_s} exceeds "
                f"AGENTBUS_GATEWAY_MAX_TIMEOUT_S={self.max_timeout_s}"
            )
            raise ValueError(msg)
        return self
