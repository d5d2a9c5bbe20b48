"""How every Kafka client of a process connects: one place for addresses and security."""

from __future__ import annotations

from typing import Any

from agentbus.settings import AgentbusSettings

__all__ = ["admin_args", "broker_args"]


def admin_args(settings: AgentbusSettings, *, client_id: str) -> dict[str, Any]:
    """Keyword arguments for an aiokafka client (admin, consumer) of this deployment."""
    k = settings.kafka
    return {
        "bootstrap_servers": k.bootstrap_servers,
        "client_id": client_id,
        "request_timeout_ms": k.request_timeout_ms,
        "security_protocol": "PLAINTEXT",
    }


def broker_args(settings: AgentbusSettings, *, client_id: str) -> dict[str, Any]:
    """Keyword arguments for FastStream's ``KafkaBroker``: durable, low-latency producing.

    ``acks=all`` with idempotence so an acknowledged record survives a broker failover
    and retries never duplicate it; no linger, because the request path is latency
    bound, not throughput bound.
    """
    k = settings.kafka
    return {
        "bootstrap_servers": k.bootstrap_servers,
        "client_id": client_id,
        "request_timeout_ms": k.request_timeout_ms,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 0,
        "max_request_size": k.max_request_bytes + 64 * 1024,
        "allow_auto_create_topics": False,
    }
