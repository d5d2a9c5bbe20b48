"""``KafkaTransport``: the a2a-sdk ``ClientTransport`` that calls an agent through Kafka.

Registered with the SDK's ``ClientFactory`` under the protocol binding ``KAFKA``,
so an unmodified a2a-sdk ``Client`` talks to an agent by name through the hub::

    factory = ClientFactory(ClientConfig(supported_protocol_bindings=[KAFKA_BINDING]))
    register_kafka_transport(factory, bus)
    client = factory.create(card)          # card lists a KAFKA interface
    async for event in client.send_message(request): ...

Each call is one JSON-RPC request record on ``agent.<target>.requests``; its replies
come back on this process's inbox partition (see :mod:`agentbus.bus`).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final, TypeVar

from a2a.client import ClientCallContext, ClientConfig, ClientFactory
from a2a.client.transports.base import ClientTransport
from a2a.types import (
    AgentCard,
    CancelTaskRequest,
    DeleteTaskPushNotificationConfigRequest,
    GetExtendedAgentCardRequest,
    GetTaskPushNotificationConfigRequest,
    GetTaskRequest,
    ListTaskPushNotificationConfigsRequest,
    ListTaskPushNotificationConfigsResponse,
    ListTasksRequest,
    ListTasksResponse,
    SendMessageRequest,
    SendMessageResponse,
    StreamResponse,
    SubscribeToTaskRequest,
    Task,
    TaskPushNotificationConfig,
    TaskState,
)
from a2a.utils.constants import PROTOCOL_VERSION_CURRENT
from a2a.utils.proto_utils import parse_lenient
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message as ProtoMessage
from opentelemetry.trace import SpanKind

from agentbus.bus import KafkaBus, ReplyQueue
from agentbus.deadline import NO_DEADLINE
from agentbus.errors import (
    AgentNotFoundError,
    BrokerUnavailableError,
    CallError,
    CallTimeoutError,
    ReplyProtocolError,
)
from agentbus.metrics import get_metrics
from agentbus.names import Headers
from agentbus.tracing import get_tracer, inject_context
from agentbus.wire import Reply, decode_headers, error_from_response, now_ms, parse_reply

__all__ = [
    "KAFKA_BINDING",
    "KafkaTransport",
    "agent_name_from_url",
    "encode_request",
    "ends_stream",
    "kafka_interface_url",
    "register_kafka_transport",
    "request_headers",
]

KAFKA_BINDING: Final = "KAFKA"
"""The protocol binding name of the Kafka interface in an AgentCard."""

_M = TypeVar("_M", bound=ProtoMessage)


def kafka_interface_url(request_topic: str) -> str:
    """The ``url`` of an agent's Kafka interface: names its request topic."""
    return f"kafka:{request_topic}"


def agent_name_from_url(url: str, bus: KafkaBus) -> str:
    """The agent a Kafka interface URL addresses.

    Raises:
        AgentNotFoundError: the URL does not name a request topic of this deployment.
    """
    topic = url.removeprefix("kafka:").removeprefix("//")
    name = bus.topics.agent_of_requests(topic)
    if name is None:
        raise AgentNotFoundError(
            f"Kafka interface URL {url!r} does not name an agent request topic of this "
            f"deployment (expected 'kafka:{bus.topics.requests('<agent>')}')"
        )
    return name


def register_kafka_transport(factory: ClientFactory, bus: KafkaBus) -> None:
    """Teach an a2a-sdk ``ClientFactory`` to build :class:`KafkaTransport` for KAFKA cards."""

    def produce(card: AgentCard, url: str, config: ClientConfig) -> ClientTransport:
        del config
        return KafkaTransport(
            target_agent_name=agent_name_from_url(url, bus), bus=bus, agent_card=card
        )

    factory.register(KAFKA_BINDING, produce)


def encode_request(
    bus: KafkaBus, method: str, request: ProtoMessage, rpc_id: str, *, target: str
) -> bytes:
    """The JSON-RPC 2.0 request record value, refused if over the size limit.

    Raises:
        CallError: the request is larger than ``AGENTBUS_KAFKA__MAX_REQUEST_BYTES``.
    """
    payload = {"jsonrpc": "2.0", "method": method, "params": MessageToDict(request), "id": rpc_id}
    value = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    limit = bus.settings.kafka.max_request_bytes
    if len(value) > limit:
        raise CallError(
            f"{method} request to agent '{target}' is {len(value)} bytes, over the "
            f"{limit}-byte limit (AGENTBUS_KAFKA__MAX_REQUEST_BYTES); send large content "
            "by reference (a URL in a FilePart) instead",
            agent=target,
        )
    return value


def request_headers(
    bus: KafkaBus, method: str, rpc_id: str, context: ClientCallContext | None, timeout: float
) -> dict[str, str]:
    """Transport headers of a request: correlation, where to reply, who asks, the deadline."""
    headers: dict[str, str] = {}
    if context is not None and context.service_parameters:
        headers.update(context.service_parameters)
    headers.update(
        {
            Headers.CORRELATION_ID: rpc_id,
            Headers.REPLY_TOPIC: bus.inbox_topic,
            Headers.REPLY_PARTITION: str(bus.inbox_partition),
            Headers.SENDER: bus.name,
            Headers.SENDER_INSTANCE: bus.instance_id,
            Headers.METHOD: method,
            Headers.A2A_VERSION: PROTOCOL_VERSION_CURRENT,
        }
    )
    if context is None or not context.state.get(NO_DEADLINE):
        deadline = now_ms() + int(timeout * 1000)
        # A deadline passed on by the caller (outgoing_context) stays if it is earlier:
        # recomputed from the timeout here, it would move later by the time since.
        given = headers.get(Headers.DEADLINE, "")
        if given.isdigit():
            deadline = min(deadline, int(given))
        headers[Headers.DEADLINE] = str(deadline)
    return headers


class KafkaTransport(ClientTransport):
    """Calls one agent, addressed by name, through the Kafka hub."""

    def __init__(
        self,
        *,
        target_agent_name: str,
        bus: KafkaBus,
        agent_card: AgentCard | None = None,
        timeout: float | None = None,
    ) -> None:
        self.target = target_agent_name
        self.bus = bus
        self.agent_card = agent_card
        self.request_topic = bus.topics.requests(target_agent_name)
        self._timeout = timeout if timeout is not None else bus.settings.calls.timeout_s
        self._metrics = get_metrics()

    # -- the A2A operations ------------------------------------------------------------

    async def send_message(
        self, request: SendMessageRequest, *, context: ClientCallContext | None = None
    ) -> SendMessageResponse:
        """Send a message and wait for the task or message it produced."""
        key = request.message.context_id or request.message.task_id or request.message.message_id
        return await self._unary("SendMessage", request, SendMessageResponse(), key, context)

    async def send_message_streaming(
        self, request: SendMessageRequest, *, context: ClientCallContext | None = None
    ) -> AsyncGenerator[StreamResponse]:
        """Send a message and yield its events in order until the stream's final marker."""
        key = request.message.context_id or request.message.task_id or request.message.message_id
        async for event in self._stream("SendStreamingMessage", request, key, context):
            yield event

    async def get_task(
        self, request: GetTaskRequest, *, context: ClientCallContext | None = None
    ) -> Task:
        """Fetch a task's current state."""
        return await self._unary("GetTask", request, Task(), request.id, context)

    async def list_tasks(
        self, request: ListTasksRequest, *, context: ClientCallContext | None = None
    ) -> ListTasksResponse:
        """List the agent's tasks."""
        return await self._unary(
            "ListTasks", request, ListTasksResponse(), request.context_id or None, context
        )

    async def cancel_task(
        self, request: CancelTaskRequest, *, context: ClientCallContext | None = None
    ) -> Task:
        """Ask the agent to cancel a task."""
        return await self._unary("CancelTask", request, Task(), request.id, context)

    async def create_task_push_notification_config(
        self, request: TaskPushNotificationConfig, *, context: ClientCallContext | None = None
    ) -> TaskPushNotificationConfig:
        """Register a push-notification webhook for a task."""
        return await self._unary(
            "CreateTaskPushNotificationConfig",
            request,
            TaskPushNotificationConfig(),
            request.task_id,
            context,
        )

    async def get_task_push_notification_config(
        self,
        request: GetTaskPushNotificationConfigRequest,
        *,
        context: ClientCallContext | None = None,
    ) -> TaskPushNotificationConfig:
        """Read one push-notification config of a task."""
        return await self._unary(
            "GetTaskPushNotificationConfig",
            request,
            TaskPushNotificationConfig(),
            request.task_id,
            context,
        )

    async def list_task_push_notification_configs(
        self,
        request: ListTaskPushNotificationConfigsRequest,
        *,
        context: ClientCallContext | None = None,
    ) -> ListTaskPushNotificationConfigsResponse:
        """List the push-notification configs of a task."""
        return await self._unary(
            "ListTaskPushNotificationConfigs",
            request,
            ListTaskPushNotificationConfigsResponse(),
            request.task_id,
            context,
        )

    async def delete_task_push_notification_config(
        self,
        request: DeleteTaskPushNotificationConfigRequest,
        *,
        context: ClientCallContext | None = None,
    ) -> None:
        """Delete a push-notification config of a task."""
        await self._call_raw("DeleteTaskPushNotificationConfig", request, request.task_id, context)

    async def subscribe(
        self, request: SubscribeToTaskRequest, *, context: ClientCallContext | None = None
    ) -> AsyncGenerator[StreamResponse]:
        """Resubscribe to a running task's events."""
        async for event in self._stream("SubscribeToTask", request, request.id, context):
            yield event

    async def get_extended_agent_card(
        self, request: GetExtendedAgentCardRequest, *, context: ClientCallContext | None = None
    ) -> AgentCard:
        """The agent's card; asks the agent only when its card offers an extended one."""
        if self.agent_card is not None and not self.agent_card.capabilities.extended_agent_card:
            return self.agent_card
        return await self._unary("GetExtendedAgentCard", request, AgentCard(), self.target, context)

    async def close(self) -> None:
        """Nothing to release: the bus belongs to the process, not to one transport."""

    # -- request/reply over Kafka ------------------------------------------------------

    async def _unary(
        self,
        method: str,
        request: ProtoMessage,
        result: _M,
        key: str | None,
        context: ClientCallContext | None,
    ) -> _M:
        body = await self._call_raw(method, request, key, context)
        raw = body.get("result")
        if not isinstance(raw, dict):
            raise ReplyProtocolError(
                f"agent '{self.target}' answered {method} with a result that is not an object",
                agent=self.target,
            )
        return parse_lenient(raw, result)

    async def _call_raw(
        self,
        method: str,
        request: ProtoMessage,
        key: str | None,
        context: ClientCallContext | None,
    ) -> dict[str, Any]:
        timeout = self._timeout_of(context)
        started = time.perf_counter()
        outcome = "error"
        try:
            async with self._exchange(method, request, key, context, timeout) as queue:
                reply = await self._next_reply(queue, method, timeout, expected=0)
            if reply.body is None:
                raise ReplyProtocolError(
                    f"agent '{self.target}' ended {method} without an answer", agent=self.target
                )
            if "error" in reply.body:
                raise error_from_response(reply.body["error"], agent=self.target)
        except CallTimeoutError:
            outcome = "timeout"
            raise
        else:
            outcome = "ok"
            return reply.body
        finally:
            self._record(method, outcome, started)

    async def _stream(
        self,
        method: str,
        request: ProtoMessage,
        key: str | None,
        context: ClientCallContext | None,
    ) -> AsyncGenerator[StreamResponse]:
        timeout = self._timeout_of(context)
        started = time.perf_counter()
        outcome = "error"
        try:
            async with self._exchange(method, request, key, context, timeout) as queue:
                expected = 0
                while True:
                    reply = await self._next_reply(queue, method, timeout, expected=expected)
                    if expected == 0:
                        self._metrics.call_duration.labels(self.target, method, "kafka").observe(
                            time.perf_counter() - started
                        )
                    expected += 1
                    if reply.body is not None:
                        if "error" in reply.body:
                            raise error_from_response(reply.body["error"], agent=self.target)
                        raw = reply.body.get("result")
                        if not isinstance(raw, dict):
                            raise ReplyProtocolError(
                                f"agent '{self.target}' sent a stream event that is not an object",
                                agent=self.target,
                            )
                        event = parse_lenient(raw, StreamResponse())
                        yield event
                        if ends_stream(event):
                            # The agent's end-of-stream record follows; the caller need
                            # not wait for it (it is dropped when it arrives).
                            outcome = "ok"
                            return
                    if reply.final:
                        outcome = "ok"
                        return
        except CallTimeoutError:
            outcome = "timeout"
            raise
        finally:
            self._metrics.calls.labels(self.target, method, "kafka", outcome).inc()

    def _timeout_of(self, context: ClientCallContext | None) -> float:
        if context is not None and context.timeout is not None:
            return context.timeout
        return self._timeout

    def _record(self, method: str, outcome: str, started: float) -> None:
        self._metrics.calls.labels(self.target, method, "kafka", outcome).inc()
        self._metrics.call_duration.labels(self.target, method, "kafka").observe(
            time.perf_counter() - started
        )

    @asynccontextmanager
    async def _exchange(
        self,
        method: str,
        request: ProtoMessage,
        key: str | None,
        context: ClientCallContext | None,
        timeout: float,
    ) -> AsyncIterator[ReplyQueue]:
        """Publish one request; yield the queue its replies arrive on."""
        rpc_id = str(uuid.uuid4())
        value = encode_request(self.bus, method, request, rpc_id, target=self.target)
        headers = request_headers(self.bus, method, rpc_id, context, timeout)
        with self.bus.expect_replies(rpc_id) as queue:
            with get_tracer().start_as_current_span(
                f"send {self.request_topic}",
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": self.request_topic,
                    "messaging.message.conversation_id": rpc_id,
                    "rpc.system": "jsonrpc",
                    "rpc.method": method,
                    "agentbus.target": self.target,
                },
            ):
                inject_context(headers)
                await self._publish(method, value, key, headers, timeout)
            yield queue

    async def _publish(
        self, method: str, value: bytes, key: str | None, headers: dict[str, str], timeout: float
    ) -> None:
        bus = self.bus
        try:
            async with asyncio.timeout(timeout):
                if not await bus.topic_exists(self.request_topic):
                    raise AgentNotFoundError(
                        f"no agent named '{self.target}': topic '{self.request_topic}' does not "
                        "exist (an agent creates its request topic when it first starts)"
                        + _unseen_hint(bus),
                        agent=self.target,
                    )
                await bus.publish(self.request_topic, value, key=key, headers=headers)
        except TimeoutError:
            raise BrokerUnavailableError(
                f"Kafka at {bus.settings.kafka.bootstrap_servers} did not accept the {method} "
                f"request to agent '{self.target}' within {timeout:g} s; is the broker running "
                "and reachable?",
                agent=self.target,
            ) from None

    async def _next_reply(
        self, queue: ReplyQueue, method: str, timeout: float, *, expected: int
    ) -> Reply:
        while True:
            try:
                async with asyncio.timeout(timeout):
                    record = await queue.get()
            except TimeoutError:
                waited = "an answer" if expected == 0 else f"stream event #{expected}"
                raise CallTimeoutError(
                    f"agent '{self.target}' did not send {waited} to {method} within "
                    f"{timeout:g} s; if it is down, the request waits in topic "
                    f"'{self.request_topic}' and is dropped once its deadline has passed",
                    agent=self.target,
                ) from None
            reply = parse_reply(record.value, decode_headers(record.headers), agent=self.target)
            if reply.sequence < expected:
                continue  # a duplicate of an event already delivered
            if reply.sequence > expected:
                raise ReplyProtocolError(
                    f"stream from agent '{self.target}' skipped from event #{expected} to "
                    f"#{reply.sequence}",
                    agent=self.target,
                )
            return reply


def _unseen_hint(bus: KafkaBus) -> str:
    """Why a topic may look missing to a caller that logs in: ACLs hide what it may not use."""
    security = bus.settings.kafka.security
    if security.mode not in {"scram", "msk-iam"}:
        return ""
    who = f"'{security.username}'" if security.mode == "scram" else "this IAM role"
    return (
        f", or {who} has no ACL to describe and write it (a cluster shows a client only "
        "the topics it has rights on)"
    )


_STREAM_ENDING_STATES = frozenset(
    {
        TaskState.TASK_STATE_COMPLETED,
        TaskState.TASK_STATE_FAILED,
        TaskState.TASK_STATE_CANCELED,
        TaskState.TASK_STATE_REJECTED,
        TaskState.TASK_STATE_INPUT_REQUIRED,
        TaskState.TASK_STATE_AUTH_REQUIRED,
    }
)
"""Terminal and interrupted states: A2A ends a stream when its task reaches one."""


def ends_stream(event: StreamResponse) -> bool:
    """Whether ``event`` is the last of its stream: a message, or a task that stopped."""
    kind = event.WhichOneof("payload")
    if kind == "message":
        return True
    if kind == "task":
        return event.task.status.state in _STREAM_ENDING_STATES
    if kind == "status_update":
        return event.status_update.status.state in _STREAM_ENDING_STATES
    return False
