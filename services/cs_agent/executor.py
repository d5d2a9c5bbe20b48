"""The cs agent's A2A executor: validates the question, asks ``logic``, emits a task."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from a2a.helpers import get_data_parts, new_data_part, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Part
from a2a.utils.errors import InvalidParamsError

from cs_agent.dataset import Ticket
from cs_agent.logic import build_answer, group_by_patch, score_tickets
from cs_agent.query import parse_request
from cs_agent.report import answer_text

__all__ = ["CsExecutor"]


class CsExecutor(AgentExecutor):
    """Answers questions about player feedback with one artifact: a summary and the numbers.

    Topic and sentiment of every ticket are read once, when the executor is built.
    """

    def __init__(self, tickets: Iterable[Ticket], *, simulated_work_s: float = 0.0) -> None:
        self._by_patch = group_by_patch(score_tickets(tickets))
        self._work_s = simulated_work_s

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Answer one question as a completed task."""
        if context.message is None:
            raise InvalidParamsError(message="cs needs a message with a question")
        try:
            request = parse_request(context.get_user_input(), get_data_parts(context.message.parts))
        except ValueError as exc:
            raise InvalidParamsError(message=str(exc)) from exc
        scope = request.scope
        task = context.current_task or new_task_from_user_message(context.message)
        await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        progress = (
            f"{scope.patch} 패치 피드백 {len(self._by_patch[scope.patch]):,}건 분석 중"
            if request.language == "ko"
            else f"analysing {len(self._by_patch[scope.patch]):,} tickets of patch {scope.patch}"
        )
        await updater.start_work(updater.new_agent_message([Part(text=progress)]))
        if self._work_s:
            await asyncio.sleep(self._work_s)
        answer = build_answer(self._by_patch, scope, request.language)
        await updater.add_artifact(
            [Part(text=answer_text(answer, request.language)), new_data_part(answer)],
            name="feedback",
            artifact_id="feedback",  # fixed: a resumed task replaces it, never duplicates it
        )
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Mark the task cancelled (its ``execute`` was already interrupted)."""
        if context.task_id and context.context_id:
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()
