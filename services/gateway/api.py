"""The public HTTP API: ask now, or queue a task and poll, stream or get a webhook call."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from a2a.client import A2AClientTimeoutError, ClientCallContext
from a2a.server.context import ServerCallContext
from a2a.types import (
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    StreamResponse,
    Task,
)
from a2a.utils.errors import A2AError, InvalidParamsError, TaskNotFoundError
from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from google.protobuf.json_format import MessageToDict
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException

from agentbus import (
    AgentNotFoundError,
    AgentRuntime,
    BrokerUnavailableError,
    CallError,
    DeadlineExceededError,
)
from gateway.executor import gateway_request
from gateway.logic import (
    TERMINAL,
    Answer,
    AskRequest,
    ErrorBody,
    TaskAccepted,
    TaskRequest,
    TaskView,
    answer_view,
    state_name,
    task_view,
    validate_webhook_url,
)
from gateway.settings import GatewaySettings

__all__ = ["install_error_handlers", "router"]

router = APIRouter(prefix="/v1", tags=["v1"])
TaskId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$", description="task id")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 404, 413, 422, 502, 503, 504)
}
_POLL_S = 0.25


class ApiError(Exception):
    """An error with its HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _state(request: Request) -> tuple[AgentRuntime, GatewaySettings]:
    return request.app.state.runtime, request.app.state.gateway


def _message(question: str) -> Message:
    return Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=question)])


@router.post("/ask", response_model=Answer, responses=_ERRORS, summary="Ask an agent and wait")
async def ask(body: AskRequest, request: Request) -> Answer:
    """Ask an agent (default: balance) and return its answer within ``timeout_s``."""
    runtime, gw = _state(request)
    agent = body.agent or gw.default_agent
    timeout = min(body.timeout_s or gw.sync_timeout_s, gw.max_timeout_s)
    started = time.perf_counter()
    client = await runtime.clients.get(agent)
    last: StreamResponse | None = None
    async for event in client.send_message(
        SendMessageRequest(message=_message(body.question)),
        context=ClientCallContext(timeout=timeout),
    ):
        last = event
    if last is None:
        raise ApiError(502, "agent_error", f"agent '{agent}' answered nothing")
    answer: Task | Message = last.task if last.HasField("task") else last.message
    return answer_view(agent, answer, (time.perf_counter() - started) * 1000)


@router.post("/ask/stream", responses=_ERRORS, summary="Ask an agent and stream its progress")
async def ask_stream(body: AskRequest, request: Request) -> EventSourceResponse:
    """Server-sent events: ``status``, ``artifact``, then ``done`` (or ``error``)."""
    runtime, gw = _state(request)
    agent = body.agent or gw.default_agent
    timeout = min(body.timeout_s or gw.sync_timeout_s, gw.max_timeout_s)
    client = await runtime.clients.get(agent, streaming=True)

    async def events() -> AsyncIterator[dict[str, str]]:
        state = "working"
        try:
            async for event in client.send_message(
                SendMessageRequest(message=_message(body.question)),
                context=ClientCallContext(timeout=timeout),
            ):
                kind, payload = _stream_event(event)
                state = str(payload.get("state", state))
                yield {"event": kind, "data": json.dumps(payload, ensure_ascii=False)}
        except (A2AError, CallError) as exc:
            error = _api_error(exc)
            yield {
                "event": "error",
                "data": json.dumps({"code": error.code, "message": error.message}),
            }
            return
        yield {"event": "done", "data": json.dumps({"state": state})}

    return EventSourceResponse(events())


def _stream_event(event: StreamResponse) -> tuple[str, dict[str, Any]]:
    if event.HasField("status_update"):
        status = event.status_update.status
        text = " ".join(p.text for p in status.message.parts if p.text)
        return "status", {"state": state_name(status.state), "text": text}
    if event.HasField("artifact_update"):
        parts = list(event.artifact_update.artifact.parts)
        view = answer_view("", Message(parts=parts))
        return "artifact", {"text": view.text, "data": view.data}
    if event.HasField("task"):
        return "status", {"state": state_name(event.task.status.state), "task_id": event.task.id}
    return "artifact", answer_view("", event.message).model_dump(include={"text", "data"})


@router.post(
    "/tasks",
    status_code=202,
    response_model=TaskAccepted,
    responses=_ERRORS,
    summary="Queue a question; the work continues without the caller",
)
async def submit(body: TaskRequest, request: Request) -> JSONResponse:
    """Queue the question as a durable task; 202 with where to follow it."""
    runtime, gw = _state(request)
    agent = body.agent or gw.default_agent
    if body.webhook_url is not None:
        try:
            validate_webhook_url(body.webhook_url, gw.webhook_allow_hosts)
        except ValueError as exc:
            raise ApiError(422, "invalid_webhook_url", str(exc)) from exc
    message = gateway_request(body.question, agent, body.webhook_url)
    if runtime.bus is not None:
        client = await runtime.clients.get(gw.name, polling=True)
        last = [e async for e in client.send_message(SendMessageRequest(message=message))][-1]
        task = last.task
    else:
        result = await runtime.request_handler.on_message_send(
            SendMessageRequest(
                message=message, configuration=SendMessageConfiguration(return_immediately=True)
            ),
            ServerCallContext(),
        )
        assert isinstance(result, Task)  # noqa: S101 - the gateway executor always makes a task
        task = result
    links = {"self": f"/v1/tasks/{task.id}", "events": f"/v1/tasks/{task.id}/events"}
    accepted = TaskAccepted(
        id=task.id, state=state_name(task.status.state), agent=agent, links=links
    )
    return JSONResponse(accepted.model_dump(), status_code=202, headers={"Location": links["self"]})


async def _load(runtime: AgentRuntime, task_id: str) -> Task:
    task: Task | None = await runtime.request_handler.on_get_task(
        GetTaskRequest(id=task_id), ServerCallContext()
    )
    if task is None:
        raise TaskNotFoundError
    return task


@router.get("/tasks/{task_id}", response_model=TaskView, responses=_ERRORS, summary="Poll a task")
async def get_task(task_id: TaskId, request: Request) -> TaskView:
    """The task's state, and its answer once it has one. Any gateway replica can answer."""
    runtime, _ = _state(request)
    return task_view(await _load(runtime, task_id))


@router.get("/tasks/{task_id}/events", responses=_ERRORS, summary="Stream a task's progress")
async def task_events(task_id: TaskId, request: Request) -> EventSourceResponse:
    """Server-sent events: a ``task`` event on every change, ending when the task ends."""
    runtime, _ = _state(request)
    first = await _load(runtime, task_id)

    async def events() -> AsyncIterator[dict[str, str]]:
        seen = None
        task = first
        while True:
            view = task_view(task).model_dump()
            if view != seen:
                seen = view
                yield {"event": "task", "data": json.dumps(view, ensure_ascii=False)}
            if task.status.state in TERMINAL:
                return
            await asyncio.sleep(_POLL_S)
            task = await _load(runtime, task_id)

    return EventSourceResponse(events())


@router.get("/agents", summary="The agents the gateway can reach")
async def agents(request: Request) -> dict[str, Any]:
    """Registered agents and their cards (Kafka), or the configured ones (HTTP)."""
    runtime, _ = _state(request)
    if runtime.registry is not None:
        found = await runtime.registry.all()
        return {
            name: {
                "card": MessageToDict(a.card),
                "instance": a.instance,
                "last_seen_ms": a.last_seen_ms,
            }
            for name, a in sorted(found.items())
        }
    return {name: {"url": str(url)} for name, url in runtime.settings.http.agents.items()}


_STATUS_OF: tuple[tuple[type[Exception], int, str], ...] = (
    (TaskNotFoundError, 404, "task_not_found"),
    (AgentNotFoundError, 404, "agent_not_found"),
    (DeadlineExceededError, 504, "timeout"),
    (A2AClientTimeoutError, 504, "timeout"),
    (BrokerUnavailableError, 503, "broker_unavailable"),
    (InvalidParamsError, 400, "invalid_question"),
    (A2AError, 502, "agent_error"),
)
"""First match wins: specific errors before the general A2A error."""


_HTTP_CODES = {
    400: "invalid_body",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def _api_error(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    for kind, status, code in _STATUS_OF:
        if isinstance(exc, kind):
            message = exc.message if isinstance(exc, A2AError) and exc.message else str(exc)
            if isinstance(exc, TaskNotFoundError):
                message = "no task with that id"
            return ApiError(status, code, message or type(exc).__name__)
    return ApiError(500, "internal", "internal error; see the gateway log")


def _body(error: ApiError, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message, **extra}}, status_code=error.status
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to ``{"error": {"code", "message"}}`` with the right status."""

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        del request
        return _body(_api_error(exc))

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        del request
        assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it
        details = [
            {"field": ".".join(str(p) for p in e["loc"][1:]), "problem": e["msg"]}
            for e in exc.errors()
        ]
        problem = "; ".join(f"{d['field'] or 'body'}: {d['problem']}" for d in details)
        return _body(ApiError(422, "invalid_request", problem), details=details)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        # Starlette's own answers (no such path or method, a body it could not read),
        # in the same shape as every other error.
        del request
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        response = _body(ApiError(exc.status_code, code, str(exc.detail)))
        response.headers.update(exc.headers or {})
        return response

    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(HTTPException, on_http)
    for kind in (ApiError, A2AError, CallError):
        app.add_exception_handler(kind, on_error)
