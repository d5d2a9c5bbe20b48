"""The echo agent's A2A executor: validates, asks ``logic``, emits events."""

from __future__ import annotations

import asyncio

from a2a.helpers import new_task_from_user_message, new_text_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Part
from a2a.utils.errors import InvalidParamsError

from echo_agent.logic import parse_command, step_text

__all__ = ["EchoExecutor"]


class EchoExecutor(AgentExecutor):
    """Echoes text; ``task N D: text`` runs a task of N steps D seconds apart."""

    def __init__(self, *, work_delay_s: float = 0.0) -> None:
        self._delay = work_delay_s

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Reply to one message."""
        if context.message is None:
            raise InvalidParamsError(message="echo needs a message")
        try:
            command = parse_command(context.get_user_input())
        except ValueError as exc:
            raise InvalidParamsError(message=str(exc)) from exc
        if self._delay:
            await asyncio.sleep(self._delay)
        if not command.task:
            await event_queue.enqueue_event(new_text_message(f"echo: {command.text}"))
            return
        task = context.current_task or new_task_from_user_message(context.message)
        await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        await updater.start_work()
        for step in range(command.steps):
            await asyncio.sleep(command.delay_s)
            await updater.add_artifact(
                [Part(text=step_text(command, step))],
                name=f"step-{step + 1}",
                artifact_id=f"step-{step + 1}",  # a resumed task replaces, never duplicates
            )
        if command.fail:
            await updater.failed(updater.new_agent_message([Part(text="failed as asked")]))
        else:
            await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Mark the task cancelled (its ``execute`` was already interrupted)."""
        if context.task_id and context.context_id:
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()
