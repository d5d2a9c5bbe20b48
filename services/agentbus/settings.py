"""Settings of the agentbus library, read from ``AGENTBUS_*`` environment variables.

Nested sections use ``__``: ``AGENTBUS_KAFKA__BOOTSTRAP_SERVERS=broker:9092``,
``AGENTBUS_HTTP__AGENTS='{"data": "http://data-agent:8080"}'``. Settings are
built by :func:`load_settings` (or by calling ``AgentbusSettings()``) at start-up,
never at import time, and refuse values that cannot work with a message that says
what to set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from agentbus.errors import ConfigurationError
from agentbus.names import TopicNames, validate_agent_name

__all__ = [
    "AgentbusSettings",
    "CallSettings",
    "HttpSettings",
    "KafkaSecurity",
    "KafkaSettings",
    "OpsSettings",
    "TopicSettings",
    "Transport",
    "load_settings",
]

Transport = Literal["kafka", "http"]


SecurityMode = Literal["plaintext", "tls", "scram", "msk-iam"]


class KafkaSecurity(BaseModel):
    """How clients authenticate and encrypt (``AGENTBUS_KAFKA__SECURITY__*``).

    ``plaintext``: nothing (local development). ``tls``: TLS, optionally with a client
    certificate (mTLS). ``scram``: SASL/SCRAM-SHA-512 over TLS, the password from
    ``PASSWORD`` or, better, ``PASSWORD_FILE`` (a mounted Secret). ``msk-iam``: AWS
    MSK IAM, SASL/OAUTHBEARER over TLS with tokens signed from the default AWS
    credential chain (on EKS: the pod's IRSA role).
    """

    mode: SecurityMode = "plaintext"
    ca_file: Path | None = Field(default=None, description="CA bundle; default: the system's.")
    cert_file: Path | None = Field(default=None, description="Client certificate (mTLS).")
    key_file: Path | None = Field(default=None, description="Client key (mTLS).")
    check_hostname: bool = True
    username: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    aws_region: str | None = Field(default=None, description="msk-iam: region of the cluster.")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.mode == "scram":
            if not self.username:
                msg = (
                    "AGENTBUS_KAFKA__SECURITY__MODE=scram needs AGENTBUS_KAFKA__SECURITY__USERNAME"
                )
                raise ValueError(msg)
            if (self.password is None) == (self.password_file is None):
                msg = (
                    "AGENTBUS_KAFKA__SECURITY__MODE=scram needs exactly one of "
                    "AGENTBUS_KAFKA__SECURITY__PASSWORD_FILE (preferred) or ..._PASSWORD"
                )
                raise ValueError(msg)
        if self.mode == "msk-iam" and not self.aws_region:
            msg = (
                "AGENTBUS_KAFKA__SECURITY__MODE=msk-iam needs AGENTBUS_KAFKA__SECURITY__AWS_REGION"
            )
            raise ValueError(msg)
        if (self.cert_file is None) != (self.key_file is None):
            msg = "set both AGENTBUS_KAFKA__SECURITY__CERT_FILE and ..._KEY_FILE, or neither"
            raise ValueError(msg)
        if self.mode == "plaintext" and (self.ca_file or self.cert_file or self.username):
            msg = (
                "TLS or SASL settings are given but AGENTBUS_KAFKA__SECURITY__MODE=plaintext; "
                "set the mode to tls, scram or msk-iam"
            )
            raise ValueError(msg)
        for name in ("ca_file", "cert_file", "key_file", "password_file"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                env = f"AGENTBUS_KAFKA__SECURITY__{name.upper()}"
                raise ValueError(f"{env}={path} is not a readable file")
        return self

    def secret_password(self) -> str | None:
        """The SCRAM password, read from its file when one is given (never logged)."""
        if self.password_file is not None:
            return self.password_file.read_text(encoding="utf-8").strip()
        return self.password.get_secret_value() if self.password is not None else None


class KafkaSettings(BaseModel):
    """How to reach the Kafka cluster."""

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        description="Comma-separated host:port list of Kafka brokers.",
    )
    security: KafkaSecurity = Field(default_factory=KafkaSecurity)
    client_id: str = Field(default="agentbus", description="Prefix of Kafka client ids.")
    request_timeout_ms: int = Field(default=15_000, ge=1_000, le=300_000)
    session_timeout_ms: int = Field(default=10_000, ge=3_000, le=300_000)
    heartbeat_interval_ms: int = Field(default=1_000, ge=100, le=60_000)
    max_poll_interval_ms: int = Field(default=300_000, ge=10_000)
    fetch_max_wait_ms: int = Field(
        default=500,
        ge=0,
        le=5_000,
        description=(
            "Long-poll wait of idle consumers (Kafka's default); a record arriving ends it at"
            " once, so a shorter wait only adds empty fetches competing for CPU."
        ),
    )
    max_request_bytes: int = Field(
        default=1_048_576,
        ge=1_024,
        le=16_777_216,
        description="Largest record agentbus produces or accepts; larger requests are refused.",
    )

    @field_validator("bootstrap_servers")
    @classmethod
    def _check_bootstrap(cls, value: str) -> str:
        servers = [s.strip() for s in value.split(",") if s.strip()]
        if not servers or any(":" not in s for s in servers):
            msg = (
                f"AGENTBUS_KAFKA__BOOTSTRAP_SERVERS={value!r} is not a list of host:port "
                "pairs; set it like 'broker-1:9092,broker-2:9092'"
            )
            raise ValueError(msg)
        return ",".join(servers)


class TopicSettings(BaseModel):
    """How agentbus provisions its topics (on Kubernetes, Strimzi ``KafkaTopic``s own them)."""

    prefix: str = Field(default="", pattern=r"^[a-zA-Z0-9._-]*$", max_length=100)
    provision: bool = Field(
        default=True, description="Create missing topics at start-up (idempotent)."
    )
    request_partitions: int = Field(default=12, ge=1, le=1_000)
    response_partitions: int = Field(default=6, ge=1, le=1_000)
    shared_partitions: int = Field(default=6, ge=1, le=1_000)
    replication_factor: int = Field(default=1, ge=1, le=7)
    min_insync_replicas: int = Field(default=1, ge=1, le=7)
    request_retention_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=60_000)
    response_retention_ms: int = Field(default=24 * 3600 * 1000, ge=60_000)

    @model_validator(mode="after")
    def _check_isr(self) -> Self:
        if self.min_insync_replicas > self.replication_factor:
            msg = (
                f"AGENTBUS_TOPICS__MIN_INSYNC_REPLICAS={self.min_insync_replicas} is larger than "
                f"AGENTBUS_TOPICS__REPLICATION_FACTOR={self.replication_factor}: no write with "
                "acks=all could ever succeed; lower the first or raise the second"
            )
            raise ValueError(msg)
        return self

    @property
    def names(self) -> TopicNames:
        """The topic names under this deployment's prefix."""
        return TopicNames(self.prefix)


class HttpSettings(BaseModel):
    """The HTTP transport: where each agent's JSON-RPC endpoint is."""

    agents: dict[str, AnyHttpUrl] = Field(
        default_factory=dict,
        description="Agent name -> base URL of its A2A JSON-RPC endpoint.",
    )

    @field_validator("agents")
    @classmethod
    def _check_names(cls, value: dict[str, AnyHttpUrl]) -> dict[str, AnyHttpUrl]:
        for name in value:
            validate_agent_name(name)
        return value


class OpsSettings(BaseModel):
    """The one port of each process: health, readiness, metrics (and A2A over HTTP)."""

    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=0, le=65_535)
    a2a_http: bool = Field(
        default=True,
        description=(
            "Also serve A2A JSON-RPC on this port when the transport is Kafka (always on for "
            "HTTP). Set false for agents with no messaging port at all."
        ),
    )
    public_url: AnyHttpUrl | None = Field(
        default=None,
        description="URL other processes use to reach this one over HTTP; default from host:port.",
    )


class CallSettings(BaseModel):
    """Defaults for calls this process makes to other agents."""

    timeout_s: float = Field(default=30.0, gt=0, le=3_600)
    max_in_flight: int = Field(
        default=64, ge=1, le=10_000, description="Requests an agent processes at once."
    )
    broadcast: bool = Field(
        default=True,
        description=(
            "Publish a scatter once on the broadcast topic; false sends one request per agent "
            "(for a principal that may write its callees' request topics but not the broadcast)."
        ),
    )


class AgentbusSettings(BaseSettings):
    """Everything the agentbus library needs to know, from ``AGENTBUS_*`` variables."""

    model_config = SettingsConfigDict(
        env_prefix="AGENTBUS_",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    transport: Transport = Field(
        default="kafka", description="'kafka' or 'http': how every agent of the deployment talks."
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    topics: TopicSettings = Field(default_factory=TopicSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    calls: CallSettings = Field(default_factory=CallSettings)


def load_settings(**overrides: object) -> AgentbusSettings:
    """Build settings from the environment, with ``overrides`` on top.

    Raises:
        ConfigurationError: with every invalid value and what to set instead.
    """
    try:
        return AgentbusSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid agentbus settings: {problems}") from exc
