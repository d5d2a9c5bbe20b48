"""The gateway's A2A executor: carry a question to an agent in the background.

A background task is an A2A task of the gateway itself. Its executor asks the
target agent without a deadline (so the question waits in Kafka while an agent is
down), mirrors the agent's progress and artifacts into the gateway task, and calls
the webhook once the task ends.
"""

from __future__ import annotations

import uuid
from typing import Any

from a2a.helpers import get_data_parts, new_data_part, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Message, Part, Role, SendMessageRequest, StreamResponse, TaskState
from a2a.utils.errors import A2AError, InvalidParamsError

from agentbus import AgentbusError, AgentClients, no_deadline_context
from gateway.logic import state_name, validate_webhook_url
from gateway.settings import GatewaySettings
from gateway.webhooks import WebhookSender

__all__ = ["GatewayExecutor", "gateway_request"]

PARAMS_KEY = "gateway"


def gateway_request(question: str, agent: str, webhook_url: str | None) -> Message:
    """The message that asks the gateway to carry ``question`` to ``agent``."""
    params = {"agent": agent, "webhook_url": webhook_url}
    return Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(text=question), new_data_part({PARAMS_KEY: params})],
    )


def _params(message: Message) -> dict[str, Any]:
    for item in get_data_parts(list(message.parts)):
        if isinstance(item, dict) and isinstance(item.get(PARAMS_KEY), dict):
            params: dict[str, Any] = item[PARAMS_KEY]
            return params
    raise InvalidParamsError(message="gateway tasks need a DataPart {'gateway': {'agent': ...}}")


class _Relay:
    """Mirrors one agent's events into the gateway task."""

    def __init__(self, updater: TaskUpdater) -> None:
        self.updater = updater
        self.state = TaskState.TASK_STATE_WORKING
        self.reason = ""
        self.texts: list[str] = []
        self.data: list[Any] = []

    async def artifact(self, parts: list[Part], name: str, artifact_id: str = "") -> None:
        self.texts += [p.text for p in parts if p.text]
        self.data += get_data_parts(parts)
        await self.updater.add_artifact(
            parts, name=name or "answer", artifact_id=artifact_id or name or "answer"
        )

    async def event(self, event: StreamResponse) -> None:
        if event.HasField("message"):
            await self.artifact(list(event.message.parts), "answer")
            self.state = TaskState.TASK_STATE_COMPLETED
        elif event.HasField("task"):
            for artifact in event.task.artifacts:
                await self.artifact(list(artifact.parts), artifact.name, artifact.artifact_id)
            self.state = event.task.status.state or self.state
        elif event.HasField("artifact_update"):
            artifact = event.artifact_update.artifact
            await self.artifact(list(artifact.parts), artifact.name, artifact.artifact_id)
        elif event.HasField("status_update"):
            status = event.status_update.status
            text = " ".join(p.text for p in status.message.parts if p.text)
            self.state = status.state
            if status.state == TaskState.TASK_STATE_WORKING and text:
                await self.updater.start_work(self.updater.new_agent_message([Part(text=text)]))
            else:
                self.reason = text


class GatewayExecutor(AgentExecutor):
    """Runs background tasks: asks the named agent, mirrors its answer, calls the webhook."""

    def __init__(
        self, clients: AgentClients, settings: GatewaySettings, webhooks: WebhookSender
    ) -> None:
        self.clients = clients
        self.settings = settings
        self.webhooks = webhooks

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Carry the question to its agent and end the gateway task as the agent did."""
        if context.message is None:
            raise InvalidParamsError(message="no message")
        params = _params(context.message)
        agent = str(params.get("agent") or self.settings.default_agent)
        webhook = params.get("webhook_url")
        if webhook is not None:
            try:
                validate_webhook_url(str(webhook), self.settings.webhook_allow_hosts)
            except ValueError as exc:
                raise InvalidParamsError(message=str(exc)) from exc
        task = context.current_task or new_task_from_user_message(context.message)
        task.metadata.update({"agent": agent})
        await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        await updater.start_work(updater.new_agent_message([Part(text=f"asked {agent}")]))
        relay = _Relay(updater)
        request = SendMessageRequest(
            message=Message(
                role=Role.ROLE_USER,
                message_id=f"{task.id}:forward",
                parts=[Part(text=context.get_user_input())],
            )
        )
        try:
            client = await self.clients.get(agent, streaming=True)
            async for event in client.send_message(request, context=no_deadline_context()):
                await relay.event(event)
        except (A2AError, AgentbusError) as exc:
            relay.state, relay.reason = TaskState.TASK_STATE_FAILED, f"{agent}: {exc}"
        await self._finish(updater, relay, agent)
        if webhook:
            await self.webhooks.deliver(
                str(webhook),
                {
                    "id": task.id,
                    "agent": agent,
                    "state": state_name(relay.state),
                    "text": "\n".join(relay.texts),
                    "data": relay.data,
                    "error": relay.reason or None,
                },
                idempotency_key=task.id,
            )

    @staticmethod
    async def _finish(updater: TaskUpdater, relay: _Relay, agent: str) -> None:
        reason = updater.new_agent_message([Part(text=relay.reason or f"{agent} gave no reason")])
        if relay.state == TaskState.TASK_STATE_COMPLETED:
            await updater.complete()
        elif relay.state == TaskState.TASK_STATE_CANCELED:
            await updater.cancel()
        elif relay.state == TaskState.TASK_STATE_REJECTED:
            await updater.reject(reason)
        else:
            if relay.state != TaskState.TASK_STATE_FAILED:
                relay.reason = f"{agent} stopped in state {state_name(relay.state)}"
                reason = updater.new_agent_message([Part(text=relay.reason)])
            await updater.failed(reason)

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Mark the gateway task cancelled."""
        if context.task_id and context.context_id:
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()
