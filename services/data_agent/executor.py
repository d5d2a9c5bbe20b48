"""The data agent's A2A executor: validates the question, counts, answers with a Task."""

from __future__ import annotations

import asyncio
from typing import Any

from a2a.helpers import get_data_parts, new_data_part, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Part
from a2a.utils.errors import InvalidParamsError

from data_agent.dataset import MatchDatabase
from data_agent.logic import build_answer, tally
from data_agent.parsing import read_request
from data_agent.query import QueryError, ResolvedQuery
from data_agent.render import answer_text, progress_text

__all__ = ["DataExecutor"]


class DataExecutor(AgentExecutor):
    """Answers win-rate questions from the match database with one artifact (text + data)."""

    def __init__(self, database: MatchDatabase, *, simulated_work_s: float = 0.0) -> None:
        self._database = database
        self._work_s = simulated_work_s

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Answer one question as a task with one ``winrates`` artifact."""
        if context.message is None:
            raise InvalidParamsError(message="the data agent needs a message with a question")
        try:
            query = read_request(context.get_user_input(), get_data_parts(context.message.parts))
        except QueryError as exc:
            raise InvalidParamsError(message=str(exc)) from exc
        task = context.current_task or new_task_from_user_message(context.message)
        await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        await updater.start_work(updater.new_agent_message([Part(text=progress_text(query))]))
        if self._work_s:
            await asyncio.sleep(self._work_s)
        answer = await asyncio.to_thread(self._answer, query)
        await updater.add_artifact(
            [Part(text=answer_text(answer, query.language)), new_data_part(answer)],
            name="winrates",
            artifact_id="winrates",  # fixed: a resumed task replaces it, never duplicates it
        )
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Mark the task cancelled (its ``execute`` was already interrupted)."""
        if context.task_id and context.context_id:
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()

    def _answer(self, query: ResolvedQuery) -> dict[str, Any]:
        """Count the asked patch and the one it is compared with (blocking: run in a thread)."""
        filters = {"map_name": query.map, "bracket": query.bracket}
        current = tally(self._database.game_counts(query.patch, **filters))
        compared = None
        if query.compare_patch is not None:
            compared = tally(self._database.game_counts(query.compare_patch, **filters))
        return build_answer(query, current, compared)
