"""Redelivered sends: the A2A ``messageId`` makes at-least-once delivery harmless.

A send whose ``messageId`` already started a task is not started again: an ended
task is answered from the task log, one still running on a live replica (this one
or another) is waited for, and one whose replica died is resumed by whoever got
the redelivery. A replica counts as alive while its Kafka client id is a member of
the agent's consumer group.
"""

from __future__ import annotations

import json
import logging

from a2a.server.agent_execution.active_task import TERMINAL_TASK_STATES
from a2a.types import Task
from google.protobuf.json_format import MessageToDict

from agentbus.bus import KafkaBus
from agentbus.intake import Request
from agentbus.metrics import Metrics
from agentbus.replies import Replier, ReplyTarget
from agentbus.taskstore import KafkaTaskStore

__all__ = ["Redeliveries", "resumed"]

log = logging.getLogger(__name__)

_OWNER_CHECK_S = 5.0
"""How often a waited-for task's replica is checked for being still alive."""
_ENDING_S = 5.0
"""How long a task that stopped running here may take to have its final snapshot stored."""


class Redeliveries:
    """Recognises sends seen before, for agent ``agent_name``, and answers them once."""

    def __init__(
        self,
        agent_name: str,
        *,
        bus: KafkaBus,
        task_store: KafkaTaskStore,
        replier: Replier,
        metrics: Metrics,
    ) -> None:
        self.agent_name = agent_name
        self.bus = bus
        self.task_store = task_store
        self.replier = replier
        self.metrics = metrics

    async def repeat(
        self, request: Request, target: ReplyTarget
    ) -> tuple[str, str | None] | str | None:
        """Handle a send whose ``messageId`` already started a task.

        Returns ``None`` for a first delivery; (outcome, held task) once answered: an
        ended task from the store, a task still running on a live replica (this one or
        another) waited for, never started twice; or the id of a task whose replica is
        gone, for the caller to resume here.
        """
        assert request.message_id is not None  # noqa: S101 - checked by the caller
        found = await self.task_store.find_by_message(request.message_id)
        if found is None:
            return None
        task, writer = found
        self.metrics.dedup_hits.labels(self.agent_name).inc()
        if task.status.state not in TERMINAL_TASK_STATES:
            if not await self._alive(task.id, writer):
                ended = await self._ending_here(task.id, writer)
                if ended is None:
                    log.info("resuming task %s: the replica that ran it is gone", task.id)
                    return task.id
                task = ended
            elif request.non_blocking:
                await self._reply_task(request, target, task)
                return "duplicate", task.id
            else:
                ended = await self._wait_for(task.id, writer)
                if ended is None:
                    return task.id
                task = ended
        await self._reply_task(request, target, task)
        return "duplicate", None

    async def _alive(self, task_id: str, writer: str) -> bool:
        """Whether the process that last wrote the task can still finish it."""
        if writer == self.bus.client_id:
            return self.task_store.running_here(task_id)
        members = await self.bus.group_members(self.agent_name)
        return members is None or writer in members

    async def _ending_here(self, task_id: str, writer: str) -> Task | None:
        """A task this process ran that has just stopped: its last snapshot may be on its way.

        Between an executor ending and its final snapshot being decided by the log, the
        task is neither running here nor ended in the store; it is not orphaned.
        """
        if writer != self.bus.client_id:
            return None
        return await self.task_store.wait_terminal(task_id, _ENDING_S)

    async def _wait_for(self, task_id: str, writer: str) -> Task | None:
        """Wait for a task another live replica runs; ``None`` once that replica is gone."""
        while True:
            ended = await self.task_store.wait_terminal(task_id, _OWNER_CHECK_S)
            if ended is not None:
                return ended
            if not await self._alive(task_id, writer):
                return None

    async def _reply_task(self, request: Request, target: ReplyTarget, task: Task) -> None:
        result = {"task": MessageToDict(task)}
        body = {"jsonrpc": "2.0", "id": request.request_id, "result": result}
        if request.streaming:
            await self.replier.send_stream(target, [body])
        else:
            await self.replier.send_json(target, body)


def resumed(request: Request, task_id: str) -> bytes:
    """The request, pointed at the task it started before its replica died."""
    params = dict(request.params)
    params["message"] = {**request.message, "taskId": task_id}
    body = {"jsonrpc": "2.0", "id": request.request_id, "method": request.method, "params": params}
    return json.dumps(body).encode()
