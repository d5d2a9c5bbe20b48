"""The data agent served in-process over Kafka and over HTTP, asked through AgentClients.

Topics live under their own prefix, so this agent named ``data`` never shares a
consumer group with another test's ``data`` on the same broker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from a2a.helpers import new_data_part
from a2a.types import Part
from a2a.utils.errors import InvalidParamsError

from agentbus import AgentClients
from agentbus.localkafka import LocalKafka
from data_agent.app import create_spec
from data_agent.dataset import MatchDatabase
from data_agent.settings import MIN_MATCHES, DataSettings
from tests.data_agent.conftest import SEED
from tests.support import ask_agent, only_answer, served_both_ways

TOPICS = {"prefix": "data-agent-tests"}


@pytest.fixture(scope="module")
async def callers(
    kafka: LocalKafka, database: MatchDatabase
) -> AsyncIterator[dict[str, AgentClients]]:
    spec = create_spec(DataSettings(db_path=database.path, seed=SEED, matches=MIN_MATCHES))
    async with served_both_ways(kafka.bootstrap_servers, spec, topics=TOPICS) as callers:
        yield callers


@pytest.fixture(params=["kafka", "http"])
def clients(request: pytest.FixtureRequest, callers: dict[str, AgentClients]) -> AgentClients:
    return callers[request.param]


async def ask(clients: AgentClients, *parts: Part) -> tuple[str, dict[str, Any]]:
    return only_answer(await ask_agent(clients, "data", *parts))


async def test_a_question_is_answered_over_the_transport(
    clients: AgentClients, database: MatchDatabase
) -> None:
    """An English question gets text and the winrates DataPart with the database's numbers."""
    text, data = await ask(clients, Part(text="TvZ win rate on patch 5.0.13"))

    counts = database.game_counts("5.0.13")
    tvz_games = sum(c.games for c in counts if {c.race_a, c.race_b} == {"terran", "zerg"})
    assert text.startswith("Patch 5.0.13")
    assert data["schema"] == "agentbus.data.winrates/v1"
    assert data["matchups"]["TvZ"]["games"] == tvz_games
    assert data["matchups"]["TvZ"]["ci95"][0] > 0.55
    assert data["trend"]["to_patch"] == "5.0.13"


async def test_a_korean_question_is_answered_in_korean(clients: AgentClients) -> None:
    """A Korean question gets a Korean text over either transport."""
    text, data = await ask(clients, Part(text="저그 대 프로토스 5.0.12 패치 승률"))

    assert text.startswith("5.0.12 패치")
    assert data["query"]["matchup"] == "ZvP"


async def test_a_structured_query_is_answered(clients: AgentClients) -> None:
    """A DataPart query alone is enough."""
    _, data = await ask(clients, new_data_part({"query": {"race": "terran", "kind": "trend"}}))

    assert data["query"] == {
        "race": "terran",
        "matchup": None,
        "patch": "5.0.14",
        "compare_patch": "5.0.13",
        "map": None,
        "bracket": None,
        "kind": "trend",
    }


async def test_an_unknown_patch_is_an_invalid_params_error(clients: AgentClients) -> None:
    """The caller gets InvalidParamsError naming the known patches."""
    with pytest.raises(InvalidParamsError, match=r"known patches: 5\.0\.11"):
        await ask(clients, Part(text="terran on 6.1.2"))
