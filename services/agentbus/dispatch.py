"""Bridging Kafka records to the a2a-sdk's JSON-RPC dispatcher and request handler.

A record is handed to the SDK as the Starlette request its HTTP binding would see,
so the SDK's own code validates, dispatches and answers it; the Kafka facts (topic,
partition, offset, sender, deadline) travel in the call context's ``state['kafka']``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from a2a.server.agent_execution import AgentExecutor
from a2a.server.cluster import VersionedTaskStore
from a2a.server.context import ServerCallContext
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes.common import DefaultServerCallContextBuilder
from a2a.server.tasks import InMemoryPushNotificationConfigStore, TaskStore
from a2a.types import AgentCard
from a2a.utils.constants import PROTOCOL_VERSION_CURRENT
from aiokafka import ConsumerRecord
from sse_starlette.sse import EventSourceResponse
from starlette.requests import Request as HttpRequest

from agentbus.intake import SEND_METHODS
from agentbus.names import NEW_TASK_STATE, Headers

__all__ = [
    "KafkaCallContextBuilder",
    "as_http_request",
    "int_or_none",
    "make_request_handler",
    "running_task_id",
    "sse_events",
]


def make_request_handler(
    executor: AgentExecutor, agent_card: AgentCard, task_store: TaskStore | VersionedTaskStore
) -> DefaultRequestHandler:
    """The SDK's request handler for ``executor``, with cross-replica events if the store has them.

    One handler serves both transports of a process, so a task started over HTTP is
    the same task over Kafka.
    """
    return DefaultRequestHandler(
        agent_executor=executor,
        task_store=task_store,
        agent_card=agent_card,
        push_config_store=InMemoryPushNotificationConfigStore(),
        event_stream=getattr(task_store, "event_stream", None),
    )


class KafkaCallContextBuilder(DefaultServerCallContextBuilder):
    """Builds the SDK's call context for a Kafka record, with its transport facts."""

    def build(self, request: HttpRequest) -> ServerCallContext:
        """The SDK's context plus ``state['kafka']``: topic, partition, offset, sender."""
        context = super().build(request)
        kafka = request.scope.get("state", {}).get("kafka", {})
        context.state["kafka"] = kafka
        context.state[NEW_TASK_STATE] = kafka.get("new_task", False)
        return context


def running_task_id(raw: bytes) -> str | None:
    """The id of a task a non-blocking send answered with while it still runs."""
    try:
        task = json.loads(raw).get("result", {}).get("task")
    except (ValueError, AttributeError):
        return None
    if not isinstance(task, dict) or not task.get("id"):
        return None
    state = (task.get("status") or {}).get("state", "")
    ended = {
        "TASK_STATE_COMPLETED",
        "TASK_STATE_FAILED",
        "TASK_STATE_CANCELED",
        "TASK_STATE_REJECTED",
    }
    return None if state in ended else str(task["id"])


def int_or_none(value: str | None) -> int | None:
    """``value`` as an integer, or ``None`` if absent or not one."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _starts_a_new_task(body: bytes) -> bool:
    """Whether ``body`` is a send whose message names no task: every task id it meets is new."""
    try:
        request = json.loads(body)
        if request.get("method") not in SEND_METHODS:
            return False
        return not request["params"]["message"].get("taskId")
    except (ValueError, TypeError, KeyError, AttributeError):
        return False


def as_http_request(
    record: ConsumerRecord[Any, Any], headers: dict[str, str], body: bytes
) -> HttpRequest:
    """The record as the Starlette request the SDK's JSON-RPC dispatcher expects."""
    raw_headers = [
        (k.lower().encode("latin-1", errors="replace"), (v or b"")) for k, v in record.headers or ()
    ]
    if Headers.A2A_VERSION not in headers:
        # The Kafka binding starts at A2A 1.0: a producer that does not say is speaking it.
        raw_headers.append(
            (Headers.A2A_VERSION.lower().encode(), PROTOCOL_VERSION_CURRENT.encode())
        )
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "kafka",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": raw_headers,
        "client": None,
        "server": None,
        "state": {
            "kafka": {
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "sender": headers.get(Headers.SENDER, ""),
                "sender_instance": headers.get(Headers.SENDER_INSTANCE, ""),
                "new_task": _starts_a_new_task(body),
                "deadline_ms": int_or_none(headers.get(Headers.DEADLINE)),
            }
        },
    }
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return HttpRequest(scope, receive)


async def sse_events(response: EventSourceResponse) -> AsyncIterator[dict[str, Any]]:
    """The SSE events of a streaming response, as the dispatcher produced them."""
    async for event in response.body_iterator:
        if isinstance(event, dict):
            yield event
        else:  # pragma: no cover - the SDK always yields dicts
            yield {"data": event}
