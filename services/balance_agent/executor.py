"""The balance agent's A2A executor: ask data and cs at once, then write the report."""

from __future__ import annotations

from typing import Any

from a2a.helpers import get_data_parts, new_data_part, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Message, Part, Role, SendMessageRequest
from a2a.utils.errors import InvalidParamsError

from agentbus import AgentClients, AgentResult, fan_out, outgoing_context, scatter
from balance_agent.logic import Scope, build_report, parse_scope
from balance_agent.report import render
from balance_agent.settings import BalanceSettings

__all__ = ["BalanceExecutor"]

DATA_SCHEMA = "agentbus.data.winrates/v1"
CS_SCHEMA = "agentbus.cs.feedback/v1"


def _structured(context: RequestContext) -> dict[str, Any] | None:
    if context.message is None:
        return None
    for item in get_data_parts(list(context.message.parts)):
        if isinstance(item, dict) and isinstance(item.get("query"), dict):
            query: dict[str, Any] = item["query"]
            return query
    return None


def _payload(result: AgentResult | None, schema: str) -> dict[str, Any] | None:
    if result is None or result.status != "ok":
        return None
    for item in get_data_parts(result.parts):
        if isinstance(item, dict) and item.get("schema") == schema:
            return item
    return None


class BalanceExecutor(AgentExecutor):
    """Fans the question out to data and cs and writes a balance report."""

    def __init__(self, clients: AgentClients, settings: BalanceSettings) -> None:
        self.clients = clients
        self.settings = settings

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Answer one question with a report, whatever the others manage to answer."""
        if context.message is None:
            raise InvalidParamsError(message="balance needs a question")
        try:
            scope = parse_scope(context.get_user_input(), _structured(context))
        except ValueError as exc:
            raise InvalidParamsError(message=str(exc)) from exc
        task = context.current_task or new_task_from_user_message(context.message)
        await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        s = self.settings
        await updater.start_work(
            updater.new_agent_message([Part(text=f"asking {s.data_agent} and {s.cs_agent}")])
        )
        results = await self._ask_team(scope, task.id, task.context_id, context)
        data = _payload(results.get(s.data_agent), DATA_SCHEMA)
        cs = _payload(results.get(s.cs_agent), CS_SCHEMA)
        missing = {
            agent: _why_missing(result, scope)
            for agent, result in results.items()
            if _payload(result, DATA_SCHEMA if agent == s.data_agent else CS_SCHEMA) is None
        }
        report = build_report(scope, data, cs, missing, low=s.band_low, high=s.band_high)
        summary = report.as_data()
        summary["sources"] = {
            agent: {"status": r.status, "elapsed_s": round(r.elapsed_s, 3), "error": r.error}
            for agent, r in results.items()
        }
        await updater.add_artifact(
            [Part(text=render(report)), new_data_part(summary)],
            name="balance-report",
            # A fixed id: a task resumed after a crash replaces its report, not adds one.
            artifact_id="balance-report",
        )
        await updater.complete()

    async def _ask_team(
        self, scope: Scope, task_id: str, context_id: str, context: RequestContext
    ) -> dict[str, AgentResult]:
        s = self.settings
        request = SendMessageRequest(
            message=Message(
                role=Role.ROLE_USER,
                # Derived from our task: a redelivered request asks with the same id.
                message_id=f"{task_id}:team",
                context_id=context_id,
                parts=[Part(text=scope.question), new_data_part({"query": scope.query()})],
            )
        )
        # Within the caller's deadline, keep time to write the report, and never wait
        # longer than our own budget for the others in a synchronous request.
        call = outgoing_context(
            context, default_timeout=s.deadline_s, max_timeout=s.deadline_s, reserve_s=0.5
        )
        agents = [s.data_agent, s.cs_agent]
        if s.fanout == "scatter":
            return await scatter(self.clients, agents, request, context=call)
        return await fan_out(
            self.clients,
            dict.fromkeys(agents, request),
            context=call,
            sequential=s.fanout == "sequential",
        )

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Mark the task cancelled; the SDK already stopped ``execute`` and its calls."""
        if context.task_id and context.context_id:
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()


def _why_missing(result: AgentResult, scope: Scope) -> str:
    if result.status == "ok":
        return (
            "answered without the expected data"
            if scope.language == "en"
            else "예상한 데이터 없이 응답"
        )
    if result.status == "timeout":
        return (
            f"did not answer in time ({result.error})"
            if scope.language == "en"
            else f"제한 시간 안에 응답하지 않음 ({result.error})"
        )
    return f"failed: {result.error}" if scope.language == "en" else f"실패: {result.error}"
