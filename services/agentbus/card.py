"""Agent cards: the A2A way for a client to learn how to reach an agent.

A card lists the interfaces the agent serves, the deployment's own transport
first: ``KAFKA`` (url ``kafka:agent.<name>.requests``) when the agent reads its
request topic, ``JSONRPC`` when its ops port also serves A2A over HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence

from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill
from a2a.utils.constants import PROTOCOL_VERSION_CURRENT, TransportProtocol

from agentbus.settings import AgentbusSettings
from agentbus.transport import KAFKA_BINDING, kafka_interface_url

__all__ = ["build_agent_card", "http_base_url", "minimal_kafka_card"]


def http_base_url(settings: AgentbusSettings) -> str:
    """Where this process serves A2A over HTTP (``AGENTBUS_OPS__PUBLIC_URL`` or host:port)."""
    if settings.ops.public_url is not None:
        return str(settings.ops.public_url)
    host = "127.0.0.1" if settings.ops.host in {"0.0.0.0", "::", ""} else settings.ops.host
    return f"http://{host}:{settings.ops.port}/"


def build_agent_card(
    settings: AgentbusSettings,
    *,
    name: str,
    description: str,
    version: str,
    skills: Sequence[AgentSkill],
    serve_kafka: bool,
    serve_http: bool,
    streaming: bool = True,
    input_modes: Sequence[str] = ("text/plain", "application/json"),
    output_modes: Sequence[str] = ("text/plain", "application/json"),
) -> AgentCard:
    """The card of agent ``name`` with the interfaces this process serves."""
    kafka = AgentInterface(
        protocol_binding=KAFKA_BINDING,
        url=kafka_interface_url(settings.topics.names.requests(name)),
        protocol_version=PROTOCOL_VERSION_CURRENT,
    )
    http = AgentInterface(
        protocol_binding=TransportProtocol.JSONRPC.value,
        url=http_base_url(settings),
        protocol_version=PROTOCOL_VERSION_CURRENT,
    )
    ordered = [kafka, http] if settings.transport == "kafka" else [http, kafka]
    served = {KAFKA_BINDING: serve_kafka, TransportProtocol.JSONRPC.value: serve_http}
    return AgentCard(
        name=name,
        description=description,
        version=version,
        supported_interfaces=[i for i in ordered if served[i.protocol_binding]],
        capabilities=AgentCapabilities(streaming=streaming, push_notifications=False),
        default_input_modes=list(input_modes),
        default_output_modes=list(output_modes),
        skills=list(skills),
    )


def minimal_kafka_card(settings: AgentbusSettings, name: str) -> AgentCard:
    """A card for an agent that never registered: enough to queue requests for it."""
    return AgentCard(
        name=name,
        description=f"agent '{name}' (no card registered yet)",
        version="0",
        supported_interfaces=[
            AgentInterface(
                protocol_binding=KAFKA_BINDING,
                url=kafka_interface_url(settings.topics.names.requests(name)),
                protocol_version=PROTOCOL_VERSION_CURRENT,
            )
        ],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
    )
