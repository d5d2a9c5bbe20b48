"""The executor, called through the a2a-sdk's request handler with an in-memory task store."""

from __future__ import annotations

import pytest
from a2a.helpers import new_data_part
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.types import Part, TaskState
from a2a.utils.errors import InvalidParamsError

from cs_agent.executor import CsExecutor
from cs_agent.logic import SCHEMA
from cs_agent.query import MAX_QUESTION_CHARS
from tests.support import ask_handler, handler_for, only_answer


@pytest.fixture
def handler(executor: CsExecutor) -> DefaultRequestHandler:
    return handler_for(executor, "cs")


ask = ask_handler
answer_of = only_answer


async def test_a_question_is_answered_with_a_completed_task(handler: DefaultRequestHandler) -> None:
    """A text question completes a task with one artifact: text and the feedback DataPart."""
    task = await ask(handler, Part(text="complaints about terran in 5.0.13 vs 5.0.12"))

    text, data = answer_of(task)
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert task.artifacts[0].name == "feedback"
    assert data["schema"] == SCHEMA
    assert data["query"] == {
        "race": "terran",
        "patch": "5.0.13",
        "compare_patch": "5.0.12",
        "topic": None,
    }
    assert (data["patch"], data["previous_patch"], data["focus_race"]) == (
        "5.0.13",
        "5.0.12",
        "terran",
    )
    assert data["tickets"] == 3240
    terran = data["complaints_by_race"]["terran"]
    assert terran["share"] > 0.4
    assert terran["change"] > 0.5
    assert len(data["top_topics"]) <= 5
    assert 1 <= len(data["samples"]) <= 3
    assert set(data["sentiment"]["by_race"]) == {"terran", "zerg", "protoss"}
    assert text.startswith("Patch 5.0.13")
    assert 3 <= len(text.splitlines()) <= 6


async def test_a_korean_question_gets_a_korean_answer(handler: DefaultRequestHandler) -> None:
    """Korean in, Korean out, with Korean samples first."""
    task = await ask(handler, Part(text="5.0.13 패치 프로토스 불만"))

    text, data = answer_of(task)
    assert text.startswith("5.0.13 패치 피드백")
    assert data["focus_race"] == "protoss"
    assert all(any("가" <= c <= "힣" for c in sample) for sample in data["samples"])


async def test_a_structured_query_is_answered(handler: DefaultRequestHandler) -> None:
    """A DataPart query alone is enough; unset fields get their defaults."""
    task = await ask(handler, new_data_part({"query": {"race": "zerg", "patch": "5.0.12"}}))

    _, data = answer_of(task)
    assert data["query"] == {
        "race": "zerg",
        "patch": "5.0.12",
        "compare_patch": "5.0.11",
        "topic": None,
    }
    assert data["complaints_by_race"]["zerg"]["change"] > 0.5


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([Part(text="zerg in 4.2.0")], r"unknown patch '4\.2\.0'; known patches: 5\.0\.11"),
        ([Part(text="")], "empty question"),
        ([Part(text="?" * (MAX_QUESTION_CHARS + 1))], "too long"),
        ([new_data_part({"query": {"race": 3}})], "race: Input should be a valid string"),
        ([new_data_part({"query": {"race": "naga"}})], "unknown race 'naga'"),
        ([new_data_part(["terran"])], r'must be \{"query"'),
    ],
)
async def test_bad_input_is_an_invalid_params_error(
    handler: DefaultRequestHandler, parts: list[Part], message: str
) -> None:
    """Bad questions are refused with InvalidParamsError saying what is accepted."""
    with pytest.raises(InvalidParamsError, match=message):
        await ask(handler, *parts)
