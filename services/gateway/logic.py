"""Pure logic of the gateway: the API's shapes, and views of A2A tasks and answers."""

from __future__ import annotations

from typing import Any, Final, Literal
from urllib.parse import urlsplit

from a2a.helpers import get_data_parts
from a2a.types import Message, Part, Task, TaskState
from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AGENT_PATTERN",
    "Answer",
    "AskRequest",
    "ErrorBody",
    "TaskAccepted",
    "TaskRequest",
    "TaskView",
    "answer_view",
    "host_allowed",
    "state_name",
    "task_view",
    "validate_webhook_url",
]

AGENT_PATTERN: Final = r"^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$"
MAX_QUESTION: Final = 4000
MAX_URL: Final = 2048
MIN_TIMEOUT_S: Final = 0.5
"""Shortest ``timeout_s`` accepted: less cannot even reach an agent and back."""
TERMINAL: Final = frozenset(
    {
        TaskState.TASK_STATE_COMPLETED,
        TaskState.TASK_STATE_FAILED,
        TaskState.TASK_STATE_CANCELED,
        TaskState.TASK_STATE_REJECTED,
    }
)
StateName = Literal[
    "submitted",
    "working",
    "completed",
    "failed",
    "canceled",
    "rejected",
    "input-required",
    "unknown",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AskRequest(_Strict):
    """A question for an agent, answered in this HTTP call."""

    question: str = Field(min_length=1, max_length=MAX_QUESTION, examples=["테란 승률 분석"])
    agent: str | None = Field(default=None, pattern=AGENT_PATTERN, description="default: balance")
    timeout_s: float | None = Field(
        default=None, ge=MIN_TIMEOUT_S, description="default: 30 s; at most the gateway's maximum"
    )


class TaskRequest(_Strict):
    """A question answered in the background; poll it, stream it, or get a webhook call."""

    question: str = Field(min_length=1, max_length=MAX_QUESTION, examples=["테란 승률 분석"])
    agent: str | None = Field(default=None, pattern=AGENT_PATTERN, description="default: balance")
    webhook_url: str | None = Field(
        default=None, max_length=MAX_URL, description="POSTed the result once the task ends"
    )


class Answer(BaseModel):
    """What an agent answered."""

    agent: str
    state: StateName
    text: str
    data: list[Any]
    task_id: str | None = None
    elapsed_ms: float | None = None


class TaskAccepted(BaseModel):
    """A task was queued; follow it at ``links``."""

    id: str
    state: StateName
    agent: str
    links: dict[str, str]


class TaskView(BaseModel):
    """A background task as the API shows it."""

    id: str
    state: StateName
    agent: str | None
    question: str
    progress: str | None
    text: str | None
    data: list[Any]
    error: str | None
    updated_at: str | None


class ErrorBody(BaseModel):
    """Every error the API returns: ``{"error": {"code": ..., "message": ...}}``."""

    error: dict[str, Any]


def state_name(state: int) -> StateName:
    """``TASK_STATE_INPUT_REQUIRED`` → ``input-required``."""
    if state == TaskState.TASK_STATE_UNSPECIFIED:
        return "unknown"
    name: StateName = TaskState.Name(state).removeprefix("TASK_STATE_").lower().replace("_", "-")  # type: ignore[assignment]
    return name


def _texts(parts: list[Part]) -> str:
    return "\n".join(p.text for p in parts if p.text)


def answer_view(agent: str, answer: Task | Message, elapsed_ms: float | None = None) -> Answer:
    """The API's view of what an agent answered (a task or a direct message)."""
    if isinstance(answer, Message):
        parts = list(answer.parts)
        return Answer(
            agent=agent,
            state="completed",
            text=_texts(parts),
            data=get_data_parts(parts),
            elapsed_ms=elapsed_ms,
        )
    parts = [p for a in answer.artifacts for p in a.parts]
    text = _texts(parts) or _texts(list(answer.status.message.parts))
    return Answer(
        agent=agent,
        state=state_name(answer.status.state),
        text=text,
        data=get_data_parts(parts),
        task_id=answer.id,
        elapsed_ms=elapsed_ms,
    )


def task_view(task: Task) -> TaskView:
    """The API's view of a gateway task."""
    meta = MessageToDict(task.metadata) if task.HasField("metadata") else {}
    question = _texts(list(task.history[0].parts)) if task.history else ""
    parts = [p for a in task.artifacts for p in a.parts]
    status_text = _texts(list(task.status.message.parts)) or None
    failed = task.status.state in {TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_REJECTED}
    return TaskView(
        id=task.id,
        state=state_name(task.status.state),
        agent=meta.get("agent"),
        question=question,
        progress=None if task.status.state in TERMINAL else status_text,
        text=_texts(parts) or None,
        data=get_data_parts(parts),
        error=status_text if failed else None,
        updated_at=task.status.timestamp.ToJsonString()
        if task.status.HasField("timestamp")
        else None,
    )


def host_allowed(host: str, allow: list[str]) -> bool:
    """Whether ``host`` matches the allow-list (empty list: every host)."""
    if not allow:
        return True
    host = host.lower().rstrip(".")
    for entry in (a.lower().rstrip(".") for a in allow):
        if entry.startswith("*.") and host.endswith(entry[1:]):
            return True
        if host == entry:
            return True
    return False


def validate_webhook_url(url: str, allow_hosts: list[str]) -> str:
    """Return ``url`` if a webhook may call it, else raise ``ValueError`` saying why.

    Only http(s), a host, no credentials in the URL (use a token in the path or
    query you control instead), and a host on the allow-list when one is set.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise ValueError(
            f"webhook_url must be an http or https URL, not {parts.scheme or 'none'!r}"
        )
    if not parts.hostname:
        raise ValueError("webhook_url has no host")
    if parts.username or parts.password:
        raise ValueError("webhook_url must not carry credentials (user:password@)")
    if not host_allowed(parts.hostname, allow_hosts):
        raise ValueError(
            f"webhook host {parts.hostname!r} is not allowed; allowed: {', '.join(allow_hosts)}"
        )
    return url
