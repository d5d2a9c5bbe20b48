"""The exceptions agentbus raises.

Every error is an ``AgentbusError``. Errors a caller sees while talking to an
agent are also a2a-sdk client errors, so code written against an unmodified
a2a-sdk ``Client`` handles them the way it handles the HTTP transport's::

    AgentbusError
    ├── ConfigurationError             settings that cannot work together
    ├── TopicProvisioningError         topics could not be created or checked
    └── CallError (+ A2AClientError)   a call to an agent did not produce an answer
        ├── AgentNotFoundError         no request topic (Kafka) or URL (HTTP) for that name
        ├── BrokerUnavailableError     the Kafka cluster did not accept the request in time
        ├── CallTimeoutError (+ A2AClientTimeoutError)   no answer within the call's timeout
        ├── DeadlineExceededError (+ A2AClientTimeoutError) the agent refused an expired request
        └── ReplyProtocolError         a reply that breaks the wire contract
"""

from __future__ import annotations

from a2a.client.errors import A2AClientError, A2AClientTimeoutError

__all__ = [
    "AgentNotFoundError",
    "AgentbusError",
    "BrokerUnavailableError",
    "CallError",
    "CallTimeoutError",
    "ConfigurationError",
    "DeadlineExceededError",
    "ReplyProtocolError",
    "TopicProvisioningError",
]


class AgentbusError(Exception):
    """Base class of every error agentbus raises."""


class ConfigurationError(AgentbusError):
    """Settings that are invalid or contradict each other."""


class TopicProvisioningError(AgentbusError):
    """Topics could not be created or verified on the Kafka cluster."""


class CallError(AgentbusError, A2AClientError):
    """A call to an agent ended without a usable answer."""

    def __init__(self, message: str, *, agent: str | None = None) -> None:
        super().__init__(message)
        self.agent = agent


class AgentNotFoundError(CallError):
    """The addressed agent does not exist: no request topic or no URL for its name."""


class BrokerUnavailableError(CallError):
    """The Kafka cluster could not be reached, or did not acknowledge a request in time."""


class CallTimeoutError(CallError, A2AClientTimeoutError):
    """The agent did not answer within the call's timeout."""


class DeadlineExceededError(CallError, A2AClientTimeoutError):
    """The agent received the request after its deadline and did not process it."""


class ReplyProtocolError(CallError):
    """A reply violated the wire contract (bad JSON, missing headers, a gap in a stream)."""
