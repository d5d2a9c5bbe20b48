"""The executor, called through the a2a-sdk's request handler with an in-memory task store."""

from __future__ import annotations

import pytest
from a2a.helpers import new_data_part
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.types import Part, TaskState
from a2a.utils.errors import InvalidParamsError

from data_agent.dataset import MatchDatabase
from data_agent.executor import DataExecutor
from data_agent.logic import SCHEMA
from data_agent.parsing import MAX_QUESTION_CHARS
from tests.support import ask_handler, handler_for, only_answer


@pytest.fixture
def handler(executor: DataExecutor) -> DefaultRequestHandler:
    return handler_for(executor, "data")


ask = ask_handler
answer_of = only_answer


async def test_a_question_is_answered_with_a_completed_task(handler: DefaultRequestHandler) -> None:
    """A text question completes a task with one artifact: text and the winrates DataPart."""
    task = await ask(handler, Part(text="TvZ win rate on patch 5.0.13"))

    text, data = answer_of(task)
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert task.artifacts[0].name == "winrates"
    assert data["schema"] == SCHEMA
    assert data["patch"] == "5.0.13"
    assert data["query"]["matchup"] == "TvZ"
    assert data["trend"]["from_patch"] == "5.0.12"
    assert data["matchups"]["TvZ"]["ci95"][0] > 0.55
    assert text.startswith("Patch 5.0.13")
    assert 3 <= len(text.splitlines()) <= 6


async def test_the_numbers_agree_with_the_database(
    handler: DefaultRequestHandler, database: MatchDatabase
) -> None:
    """Games and wins in the answer are the database's counts (whole numbers as floats)."""
    task = await ask(handler, Part(text="zerg in grandmaster on Dynasty"))

    _, data = answer_of(task)
    counts = database.game_counts("5.0.14", map_name="Dynasty LE", bracket="grandmaster")
    zerg_games = sum(
        c.games for c in counts if "zerg" in (c.race_a, c.race_b) and c.race_a != c.race_b
    )
    assert data["filters"] == {"map": "Dynasty LE", "bracket": "grandmaster"}
    assert data["races"]["zerg"]["games"] == zerg_games


async def test_a_korean_question_gets_a_korean_answer(handler: DefaultRequestHandler) -> None:
    """The text of the answer follows the language of the question."""
    task = await ask(handler, Part(text="5.0.13 대비 5.0.14 테란 변화"))

    text, data = answer_of(task)
    assert text.startswith("5.0.14 패치")
    assert data["query"]["kind"] == "trend"
    assert data["trend"]["matchups"]["TvZ"]["delta"] < 0
    assert data["trend"]["matchups"]["TvZ"]["p_value"] < 0.01


async def test_a_structured_query_wins_over_the_text(handler: DefaultRequestHandler) -> None:
    """A DataPart query decides what is counted; the text only the language."""
    task = await ask(
        handler,
        Part(text="anything"),
        new_data_part({"query": {"race": "protoss", "patch": "5.0.12", "bracket": "master"}}),
    )

    _, data = answer_of(task)
    assert data["query"]["race"] == "protoss"
    assert data["patch"] == "5.0.12"
    assert data["filters"]["bracket"] == "master"


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([Part(text="")], "the question is empty"),
        ([Part(text="x" * (MAX_QUESTION_CHARS + 1))], "at most 4000"),
        ([Part(text="terran on 6.1.2")], "known patches: 5.0.11, 5.0.12, 5.0.13, 5.0.14"),
        ([Part(text="random win rate")], "accepted: terran, zerg, protoss"),
        ([new_data_part({"query": {"race": 3}})], "race: Input should be a valid string"),
        ([new_data_part({"query": {"race": "elf"}})], "unknown race 'elf'"),
        ([new_data_part({"query": "TvZ"})], 'must look like {"query"'),
        ([new_data_part({"query": {"patch": "5.0.11", "kind": "trend"}})], "oldest patch"),
    ],
)
async def test_bad_input_is_an_invalid_params_error(
    handler: DefaultRequestHandler, parts: list[Part], message: str
) -> None:
    """Bad questions and queries are refused with InvalidParamsError, never a crash."""
    with pytest.raises(InvalidParamsError) as caught:
        await ask(handler, *parts)

    assert message in str(caught.value.message)


async def test_simulated_work_delays_the_answer(database: MatchDatabase) -> None:
    """With simulated work set, the answer still completes."""
    handler = handler_for(DataExecutor(database, simulated_work_s=0.01), "data")

    task = await ask(handler, Part(text="terran"))

    assert task.status.state == TaskState.TASK_STATE_COMPLETED
