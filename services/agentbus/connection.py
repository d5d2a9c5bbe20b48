"""How every Kafka client of a process connects: one place for addresses and security.

The four security modes of :class:`agentbus.settings.KafkaSecurity` become the
aiokafka arguments of admin clients and consumers, and the FastStream security
object of the broker, here and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.abc import AbstractTokenProvider
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError
from faststream.security import BaseSecurity, SASLOAuthBearer, SASLScram512

from agentbus.errors import ConfigurationError
from agentbus.settings import AgentbusSettings, KafkaSecurity

__all__ = [
    "MskIamTokenProvider",
    "admin_args",
    "broker_args",
    "connection_failure",
    "login_of",
    "shut_down",
    "ssl_context",
    "stop_consumer",
]

log = logging.getLogger(__name__)


def ssl_context(security: KafkaSecurity) -> ssl.SSLContext | None:
    """The TLS context of a secured mode (``None`` for plaintext)."""
    if security.mode == "plaintext":
        return None
    context = ssl.create_default_context(cafile=str(security.ca_file) if security.ca_file else None)
    context.check_hostname = security.check_hostname
    if security.cert_file is not None and security.key_file is not None:
        context.load_cert_chain(str(security.cert_file), str(security.key_file))
    return context


class MskIamTokenProvider(AbstractTokenProvider):  # type: ignore[misc]
    """OAUTHBEARER tokens for AWS MSK IAM, signed with the default AWS credentials.

    Tokens are cached until shortly before they expire; signing runs in a thread
    because the signer (botocore) is synchronous.
    """

    def __init__(self, region: str) -> None:
        self.region = region
        self._token: str | None = None
        self._expires_at = 0.0

    async def token(self) -> str:
        """A valid token, signing a new one when the cached one is about to expire."""
        if self._token is None or time.time() > self._expires_at - 60:
            try:
                from aws_msk_iam_sasl_signer import MSKAuthTokenProvider  # noqa: PLC0415
            except ImportError as exc:  # pragma: no cover - a dependency of the package
                raise ConfigurationError(
                    "msk-iam needs the aws-msk-iam-sasl-signer-python package"
                ) from exc
            token, expiry_ms = await asyncio.to_thread(
                MSKAuthTokenProvider.generate_auth_token, self.region
            )
            self._token, self._expires_at = token, expiry_ms / 1000
        return self._token


def _sasl(security: KafkaSecurity) -> dict[str, Any]:
    if security.mode == "scram":
        return {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": security.username,
            "sasl_plain_password": security.secret_password(),
        }
    if security.mode == "msk-iam":
        assert security.aws_region is not None  # noqa: S101 - checked by the settings
        return {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "OAUTHBEARER",
            "sasl_oauth_token_provider": MskIamTokenProvider(security.aws_region),
        }
    if security.mode == "tls":
        return {"security_protocol": "SSL"}
    return {"security_protocol": "PLAINTEXT"}


def admin_args(settings: AgentbusSettings, *, client_id: str) -> dict[str, Any]:
    """Keyword arguments for an aiokafka client (admin, consumer) of this deployment."""
    k = settings.kafka
    args: dict[str, Any] = {
        "bootstrap_servers": k.bootstrap_servers,
        "client_id": client_id,
        "request_timeout_ms": k.request_timeout_ms,
        **_sasl(k.security),
    }
    context = ssl_context(k.security)
    if context is not None:
        args["ssl_context"] = context
    return args


def _broker_security(security: KafkaSecurity) -> tuple[BaseSecurity | None, dict[str, Any]]:
    context = ssl_context(security)
    if security.mode == "scram":
        return SASLScram512(
            username=security.username or "",
            password=security.secret_password() or "",
            ssl_context=context,
        ), {}
    if security.mode == "msk-iam":
        assert security.aws_region is not None  # noqa: S101 - checked by the settings
        return SASLOAuthBearer(ssl_context=context), {
            "sasl_oauth_token_provider": MskIamTokenProvider(security.aws_region)
        }
    if security.mode == "tls":
        return BaseSecurity(ssl_context=context), {}
    return None, {}


def broker_args(settings: AgentbusSettings, *, client_id: str) -> dict[str, Any]:
    """Keyword arguments for FastStream's ``KafkaBroker``: durable, low-latency producing.

    ``acks=all`` with idempotence so an acknowledged record survives a broker failover
    and retries never duplicate it; no linger, because the request path is latency
    bound, not throughput bound.
    """
    k = settings.kafka
    security, extra = _broker_security(k.security)
    return {
        "bootstrap_servers": k.bootstrap_servers,
        "client_id": client_id,
        "request_timeout_ms": k.request_timeout_ms,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 0,
        "max_request_size": k.max_request_bytes + 64 * 1024,
        "allow_auto_create_topics": False,
        "security": security,
        **extra,
    }


def login_of(connection: Mapping[str, Any]) -> str:
    """Who ``connection`` logs in as, for error messages (never the secret)."""
    return str(connection.get("sasl_plain_username") or "an anonymous client")


async def connection_failure(connection: Mapping[str, Any]) -> str:
    """Connect once to the first bootstrap server to learn why a client could not.

    aiokafka's bootstrap only says "Unable to bootstrap"; a single connection
    raises the real cause, such as ``SaslAuthenticationFailed``.
    """
    host, _, port = str(connection.get("bootstrap_servers", "")).split(",")[0].rpartition(":")
    prefixes = ("client_id", "request_timeout_ms", "ssl_", "security_", "sasl_")
    args = {k: v for k, v in connection.items() if k.startswith(prefixes)}
    try:
        conn = await create_conn(host, int(port), **args)
    except (OSError, KafkaError, ValueError) as exc:  # TimeoutError is an OSError
        return f"{type(exc).__name__}: {exc}"
    conn.close()
    return "a new connection succeeded; the cluster may have been unavailable for a moment"


async def shut_down(step: Awaitable[None], what: str) -> None:
    """Await one step of a shutdown, which must finish even while the cluster is down.

    aiokafka 0.14's fetcher, closed while a fetch to an unreachable broker is in
    flight, cancels that fetch and lets its ``CancelledError`` out of ``stop()``.
    That is no cancellation of the caller: it is absorbed here, unless the task
    running the shutdown is itself being cancelled.
    """
    try:
        await step
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        log.debug("%s: a cancelled in-flight request ended the stop early", what)


async def stop_consumer(consumer: AIOKafkaConsumer, what: str) -> None:
    """Stop ``consumer`` and close its connections, also while the cluster is down."""
    await shut_down(consumer.stop(), what)
    # A stop cut short by a cancelled fetch skipped closing the connections;
    # closing them again is harmless when it did not.
    client = getattr(consumer, "_client", None)
    if client is not None:
        with contextlib.suppress(Exception):
            await client.close()
