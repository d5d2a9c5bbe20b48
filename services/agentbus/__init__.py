"""agentbus: A2A agents that talk to each other through an Apache Kafka hub.

The only package that knows Kafka or A2A wiring. Agents give it an a2a-sdk
``AgentExecutor``; callers get an a2a-sdk ``Client``; ``AGENTBUS_TRANSPORT``
chooses Kafka or HTTP for the whole deployment.

Names are imported on first use (PEP 562), so ``python -m agentbus.localkafka``
and other light entry points do not pay for loading FastStream and the A2A SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentbus.bus import KafkaBus
    from agentbus.card import build_agent_card
    from agentbus.clients import AgentClients
    from agentbus.deadline import no_deadline_context, outgoing_context
    from agentbus.errors import (
        AgentbusError,
        AgentNotFoundError,
        BrokerUnavailableError,
        CallError,
        CallTimeoutError,
        ConfigurationError,
        DeadlineExceededError,
        ReplyProtocolError,
        TopicProvisioningError,
    )
    from agentbus.fanout import AgentResult, fan_out, scatter
    from agentbus.names import Headers, TopicNames
    from agentbus.registry import AgentRegistry
    from agentbus.server import KafkaConsumerHandler
    from agentbus.service import AgentRuntime, AgentSpec, create_agent_app, run_agent, serve_app
    from agentbus.settings import AgentbusSettings, load_settings
    from agentbus.taskstore import KafkaTaskStore
    from agentbus.transport import KAFKA_BINDING, KafkaTransport, register_kafka_transport

_EXPORTS: dict[str, str] = {
    "KAFKA_BINDING": "agentbus.transport",
    "AgentClients": "agentbus.clients",
    "AgentNotFoundError": "agentbus.errors",
    "AgentResult": "agentbus.fanout",
    "AgentRuntime": "agentbus.service",
    "AgentRegistry": "agentbus.registry",
    "AgentSpec": "agentbus.service",
    "AgentbusError": "agentbus.errors",
    "AgentbusSettings": "agentbus.settings",
    "BrokerUnavailableError": "agentbus.errors",
    "CallError": "agentbus.errors",
    "CallTimeoutError": "agentbus.errors",
    "ConfigurationError": "agentbus.errors",
    "DeadlineExceededError": "agentbus.errors",
    "Headers": "agentbus.names",
    "KafkaBus": "agentbus.bus",
    "KafkaConsumerHandler": "agentbus.server",
    "KafkaTaskStore": "agentbus.taskstore",
    "KafkaTransport": "agentbus.transport",
    "ReplyProtocolError": "agentbus.errors",
    "TopicNames": "agentbus.names",
    "TopicProvisioningError": "agentbus.errors",
    "build_agent_card": "agentbus.card",
    "create_agent_app": "agentbus.service",
    "fan_out": "agentbus.fanout",
    "load_settings": "agentbus.settings",
    "no_deadline_context": "agentbus.deadline",
    "outgoing_context": "agentbus.deadline",
    "register_kafka_transport": "agentbus.transport",
    "run_agent": "agentbus.service",
    "serve_app": "agentbus.service",
    "scatter": "agentbus.fanout",
}

__all__ = [
    "KAFKA_BINDING",
    "AgentClients",
    "AgentNotFoundError",
    "AgentRegistry",
    "AgentResult",
    "AgentRuntime",
    "AgentSpec",
    "AgentbusError",
    "AgentbusSettings",
    "BrokerUnavailableError",
    "CallError",
    "CallTimeoutError",
    "ConfigurationError",
    "DeadlineExceededError",
    "Headers",
    "KafkaBus",
    "KafkaConsumerHandler",
    "KafkaTaskStore",
    "KafkaTransport",
    "ReplyProtocolError",
    "TopicNames",
    "TopicProvisioningError",
    "build_agent_card",
    "create_agent_app",
    "fan_out",
    "load_settings",
    "no_deadline_context",
    "outgoing_context",
    "register_kafka_transport",
    "run_agent",
    "scatter",
    "serve_app",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentbus' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
