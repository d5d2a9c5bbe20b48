"""The gateway's pure logic: webhook URL rules and views of A2A answers."""

from __future__ import annotations

import pytest
from a2a.helpers import new_data_part
from a2a.types import Artifact, Message, Part, Role, Task, TaskState, TaskStatus

from gateway.logic import answer_view, host_allowed, state_name, task_view, validate_webhook_url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/hook", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("http:///nohost", "no host"),
        ("https://user:secret@example.com/hook", "credentials"),
        ("https://evil.test/hook", "not allowed"),
    ],
)
def test_unsafe_webhook_urls_are_refused(url: str, problem: str) -> None:
    """Webhooks only call http(s) hosts on the allow-list, with no credentials in the URL."""
    with pytest.raises(ValueError, match=problem):
        validate_webhook_url(url, ["example.com", "*.example.org"])


def test_allowed_webhook_urls_pass() -> None:
    """Exact hosts and wildcard subdomains on the list are accepted."""
    assert validate_webhook_url("https://example.com/h?t=1", ["example.com"])
    assert validate_webhook_url("http://a.b.example.org/h", ["*.example.org"])
    assert validate_webhook_url("http://127.0.0.1:9/h", [])


def test_an_empty_allow_list_allows_every_host() -> None:
    """Without a list any host is allowed; with one, only matches."""
    assert host_allowed("anything.test", [])
    assert not host_allowed("example.org", ["*.example.org"])


def test_state_names_are_api_friendly() -> None:
    """Protobuf enum names become short lowercase words."""
    assert state_name(TaskState.TASK_STATE_INPUT_REQUIRED) == "input-required"
    assert state_name(TaskState.TASK_STATE_COMPLETED) == "completed"
    assert state_name(TaskState.TASK_STATE_UNSPECIFIED) == "unknown"


def test_a_task_view_shows_question_answer_and_data() -> None:
    """The view carries the question, the artifacts' text and data, and the agent."""
    task = Task(
        id="t1",
        context_id="c1",
        status=TaskStatus(state=TaskState.TASK_STATE_COMPLETED),
        history=[Message(role=Role.ROLE_USER, message_id="m", parts=[Part(text="테란 승률 분석")])],
        artifacts=[Artifact(artifact_id="a", parts=[Part(text="report"), new_data_part({"x": 1})])],
    )
    task.metadata.update({"agent": "balance"})

    view = task_view(task)

    assert (view.id, view.state, view.agent) == ("t1", "completed", "balance")
    assert (view.question, view.text, view.data) == ("테란 승률 분석", "report", [{"x": 1.0}])
    assert view.error is None


def test_a_failed_task_view_explains_why() -> None:
    """A failed task's status message becomes the error."""
    task = Task(
        id="t2",
        status=TaskStatus(
            state=TaskState.TASK_STATE_FAILED,
            message=Message(role=Role.ROLE_AGENT, message_id="m", parts=[Part(text="data: down")]),
        ),
    )

    view = task_view(task)

    assert (view.state, view.error, view.progress) == ("failed", "data: down", None)


def test_a_direct_message_answer_is_completed() -> None:
    """An agent that answers with a message (no task) gives a completed answer."""
    answer = answer_view("echo", Message(role=Role.ROLE_AGENT, parts=[Part(text="hi")]))

    assert (answer.state, answer.text, answer.task_id) == ("completed", "hi", None)
