"""Topic names, header names and agent-name rules: defined here and nowhere else.

Topics (see DESIGN.md):

=========================  ===============================================
``agent.<name>.requests``  requests to an agent; consumer group ``<name>``
``agent.<name>.responses`` replies and stream events *to* the caller ``<name>``
``agent.<name>.dlq``       requests of agent ``<name>`` that cannot be processed
``agent.broadcast``        fan-out requests that every agent reads
``agent.registry``         agent cards and heartbeats, compacted, key = agent name
``agent.tasks``            task snapshots, compacted, key = task id
=========================  ===============================================

A deployment may put every name under a prefix (``AGENTBUS_TOPICS__PREFIX``), for
clusters shared by several installations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["AGENT_NAME_PATTERN", "NEW_TASK_STATE", "Headers", "TopicNames", "validate_agent_name"]

NEW_TASK_STATE: Final = "agentbus.new_task"
"""Key in the SDK's call-context state: the request creates a task (its message names
none), so every task id the task store is asked for is new and needs no catch-up."""

AGENT_NAME_PATTERN: Final = re.compile(r"^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$")
"""An agent name: a DNS label of at most 40 characters, so ``<name>-agent`` is one too."""


def validate_agent_name(name: str) -> str:
    """Return ``name`` if it is a valid agent name, else raise ``ValueError`` saying why."""
    if not AGENT_NAME_PATTERN.fullmatch(name):
        msg = (
            f"invalid agent name {name!r}: use 1-40 lowercase letters, digits and '-', "
            "starting with a letter and not ending with '-' (it becomes part of topic and "
            "Kubernetes names)"
        )
        raise ValueError(msg)
    return name


@dataclass(frozen=True, slots=True)
class TopicNames:
    """The topic names of one deployment, optionally under a common prefix."""

    prefix: str = ""

    def requests(self, agent: str) -> str:
        """Topic that carries requests to ``agent``."""
        return f"{self.prefix}agent.{agent}.requests"

    def responses(self, agent: str) -> str:
        """Topic that carries replies and stream events to the caller ``agent``."""
        return f"{self.prefix}agent.{agent}.responses"

    def dlq(self, agent: str) -> str:
        """Dead-letter topic for requests to ``agent`` that cannot be processed."""
        return f"{self.prefix}agent.{agent}.dlq"

    @property
    def broadcast(self) -> str:
        """Topic of fan-out requests read by every agent."""
        return f"{self.prefix}agent.broadcast"

    @property
    def registry(self) -> str:
        """Compacted topic of agent cards and heartbeats."""
        return f"{self.prefix}agent.registry"

    @property
    def tasks(self) -> str:
        """Compacted topic of task snapshots."""
        return f"{self.prefix}agent.tasks"

    def agent_of_requests(self, topic: str) -> str | None:
        """The agent whose request topic is ``topic``, or ``None``."""
        return self._agent_of(topic, "requests")

    def agent_of_responses(self, topic: str) -> str | None:
        """The caller whose response topic is ``topic``, or ``None``."""
        return self._agent_of(topic, "responses")

    def _agent_of(self, topic: str, kind: str) -> str | None:
        head = f"{self.prefix}agent."
        tail = f".{kind}"
        if not (topic.startswith(head) and topic.endswith(tail)):
            return None
        name = topic[len(head) : -len(tail)]
        return name if AGENT_NAME_PATTERN.fullmatch(name) else None


class Headers:
    """Kafka record header names. Values are UTF-8 strings."""

    CORRELATION_ID: Final = "correlation_id"
    """FastStream's own header name, so FastStream services can answer agentbus calls."""
    REPLY_TOPIC: Final = "reply_to"
    """FastStream's own header name for the topic a reply goes to."""
    REPLY_PARTITION: Final = "agentbus-reply-partition"
    SENDER: Final = "agentbus-sender"
    SENDER_INSTANCE: Final = "agentbus-sender-instance"
    DEADLINE: Final = "agentbus-deadline-ms"
    EXPECTED: Final = "agentbus-expected"
    """On a broadcast: the comma-separated agents that should answer (absent: all)."""
    METHOD: Final = "agentbus-method"
    SEQUENCE: Final = "agentbus-seq"
    FINAL: Final = "agentbus-final"
    AGENT: Final = "agentbus-agent"
    TASK_VERSION: Final = "agentbus-task-version"
    PREV_VERSION: Final = "agentbus-prev-version"
    ERROR_CODE: Final = "agentbus-error-code"
    ERROR_MESSAGE: Final = "agentbus-error-message"
    ORIGINAL_TOPIC: Final = "agentbus-original-topic"
    ORIGINAL_PARTITION: Final = "agentbus-original-partition"
    ORIGINAL_OFFSET: Final = "agentbus-original-offset"
    TRACEPARENT: Final = "traceparent"
    TRACESTATE: Final = "tracestate"
    A2A_VERSION: Final = "A2A-Version"
    A2A_EXTENSIONS: Final = "A2A-Extensions"
