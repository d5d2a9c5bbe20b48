"""``AgentClients``: a2a-sdk ``Client``s for agents addressed by name.

Over Kafka a name is all it takes: the card comes from the registry topic (or a
minimal one when the agent never started, so requests can queue for it). Over
HTTP the name is looked up in ``AGENTBUS_HTTP__AGENTS`` and the card fetched from
the agent's well-known URL, the usual A2A way. Callers get the same ``Client``
either way; ``AGENTBUS_TRANSPORT`` decides.
"""

from __future__ import annotations

import asyncio

import httpx
from a2a.client import (
    A2ACardResolver,
    AgentCardResolutionError,
    Client,
    ClientConfig,
    ClientFactory,
)
from a2a.types import AgentCard, AgentInterface
from a2a.utils.constants import PROTOCOL_VERSION_CURRENT, VERSION_HEADER, TransportProtocol

from agentbus.bus import KafkaBus
from agentbus.card import minimal_kafka_card
from agentbus.errors import AgentNotFoundError, ConfigurationError
from agentbus.registry import AgentRegistry
from agentbus.settings import AgentbusSettings
from agentbus.transport import KAFKA_BINDING, register_kafka_transport

__all__ = ["AgentClients"]


class AgentClients:
    """Makes and caches a2a-sdk clients for agents, by name, over the configured transport."""

    def __init__(
        self,
        settings: AgentbusSettings,
        *,
        bus: KafkaBus | None = None,
        registry: AgentRegistry | None = None,
        httpx_client: httpx.AsyncClient | None = None,
    ) -> None:
        if settings.transport == "kafka" and bus is None:
            raise ConfigurationError("AgentClients needs a KafkaBus when AGENTBUS_TRANSPORT=kafka")
        self.settings = settings
        self.bus = bus
        self.registry = registry
        self._own_httpx = httpx_client is None and settings.transport == "http"
        self._httpx = httpx_client
        if self._httpx is None and settings.transport == "http":
            self._httpx = _make_httpx_client(settings)
        self._clients: dict[tuple[str, bool, bool], Client] = {}
        self._cards: dict[str, AgentCard] = {}
        self._lock = asyncio.Lock()

    @property
    def transport(self) -> str:
        """``kafka`` or ``http``."""
        return self.settings.transport

    async def card(self, name: str) -> AgentCard:
        """The card of agent ``name`` as this deployment reaches it.

        Raises:
            AgentNotFoundError: over HTTP, no URL is configured for ``name`` or its card
                cannot be fetched.
        """
        if name in self._cards:
            return self._cards[name]
        card = await (
            self._kafka_card(name) if self.transport == "kafka" else self._http_card(name)
        )
        self._cards[name] = card
        return card

    async def get(self, name: str, *, streaming: bool = False, polling: bool = False) -> Client:
        """A client for agent ``name``.

        Args:
            name: the agent's name.
            streaming: use streaming sends when the agent's card allows it.
            polling: send non-blocking (``return_immediately``): the call returns the
                submitted task at once and the work goes on without the caller.
        """
        key = (name, streaming, polling)
        async with self._lock:
            client = self._clients.get(key)
            if client is None:
                card = await self.card(name)
                client = self._factory(streaming=streaming, polling=polling).create(card)
                self._clients[key] = client
            return client

    async def aclose(self) -> None:
        """Close the HTTP connection pool this object created."""
        self._clients.clear()
        if self._own_httpx and self._httpx is not None:
            await self._httpx.aclose()

    def _factory(self, *, streaming: bool, polling: bool) -> ClientFactory:
        if self.transport == "kafka":
            assert self.bus is not None  # noqa: S101 - checked in __init__
            factory = ClientFactory(
                ClientConfig(
                    streaming=streaming,
                    polling=polling,
                    supported_protocol_bindings=[KAFKA_BINDING],
                )
            )
            register_kafka_transport(factory, self.bus)
            return factory
        return ClientFactory(
            ClientConfig(
                streaming=streaming,
                polling=polling,
                httpx_client=self._httpx,
                supported_protocol_bindings=[TransportProtocol.JSONRPC.value],
            )
        )

    async def _kafka_card(self, name: str) -> AgentCard:
        if self.registry is not None:
            found = await self.registry.get(name)
            if found is not None and any(
                i.protocol_binding == KAFKA_BINDING for i in found.card.supported_interfaces
            ):
                return found.card
        return minimal_kafka_card(self.settings, name)

    async def _http_card(self, name: str) -> AgentCard:
        url = self.settings.http.agents.get(name)
        if url is None:
            known = ", ".join(sorted(self.settings.http.agents)) or "none"
            raise AgentNotFoundError(
                f"no URL for agent '{name}' (known: {known}); add it to AGENTBUS_HTTP__AGENTS",
                agent=name,
            )
        assert self._httpx is not None  # noqa: S101 - created in __init__ for HTTP
        base = str(url)
        try:
            card = await A2ACardResolver(self._httpx, base).get_agent_card()
        except AgentCardResolutionError as exc:
            raise AgentNotFoundError(
                f"agent '{name}' at {base} did not serve its card: {exc.message}", agent=name
            ) from exc
        # The card names the URL the agent believes it has; the deployment's map wins.
        interfaces = [
            i
            for i in card.supported_interfaces
            if i.protocol_binding != TransportProtocol.JSONRPC.value
        ]
        card.ClearField("supported_interfaces")
        card.supported_interfaces.append(
            AgentInterface(
                protocol_binding=TransportProtocol.JSONRPC.value,
                url=base,
                protocol_version=PROTOCOL_VERSION_CURRENT,
            )
        )
        card.supported_interfaces.extend(interfaces)
        return card


def _make_httpx_client(settings: AgentbusSettings) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.calls.timeout_s),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        headers={VERSION_HEADER: PROTOCOL_VERSION_CURRENT},
    )
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: PLC0415

    HTTPXClientInstrumentor.instrument_client(client)
    return client
