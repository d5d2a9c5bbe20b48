"""The cs agent served in-process over Kafka and over HTTP, asked through AgentClients.

Topics live under their own prefix, so this agent named ``cs`` never shares a
consumer group with another test's ``cs`` on the same broker.
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
from cs_agent.app import create_spec
from cs_agent.logic import SCHEMA
from cs_agent.settings import CsSettings
from tests.support import ask_agent, only_answer, served_both_ways

TOPICS = {"prefix": "cs-agent-tests"}


@pytest.fixture(scope="module")
async def callers(kafka: LocalKafka) -> AsyncIterator[dict[str, AgentClients]]:
    spec = create_spec(CsSettings())
    async with served_both_ways(kafka.bootstrap_servers, spec, topics=TOPICS) as callers:
        yield callers


@pytest.fixture(params=["kafka", "http"])
def clients(request: pytest.FixtureRequest, callers: dict[str, AgentClients]) -> AgentClients:
    return callers[request.param]


async def ask(clients: AgentClients, *parts: Part) -> tuple[str, dict[str, Any]]:
    return only_answer(await ask_agent(clients, "cs", *parts))


async def test_a_korean_question_is_answered_over_the_transport(clients: AgentClients) -> None:
    """A Korean question gets Korean text and the feedback DataPart showing the Terran spike."""
    text, data = await ask(clients, Part(text="5.0.13 패치 테란 불만"))

    terran = data["complaints_by_race"]["terran"]
    assert text.startswith("5.0.13 패치 피드백")
    assert data["schema"] == SCHEMA
    assert data["focus_race"] == "terran"
    assert terran["share"] == max(e["share"] for e in data["complaints_by_race"].values())
    assert terran["count"] > terran["previous"]


async def test_an_english_question_is_answered_in_english(clients: AgentClients) -> None:
    """An English question gets an English text for the latest patch."""
    text, data = await ask(clients, Part(text="what do players say about Zerg?"))

    assert text.startswith("Patch 5.0.14")
    assert data["query"]["race"] == "zerg"
    assert data["previous_patch"] == "5.0.13"


async def test_a_structured_query_is_answered(clients: AgentClients) -> None:
    """A DataPart query alone is enough."""
    _, data = await ask(clients, new_data_part({"query": {"topic": "matchmaking"}}))

    assert data["query"] == {
        "race": None,
        "patch": "5.0.14",
        "compare_patch": "5.0.13",
        "topic": "matchmaking",
    }
    assert data["focus_topic"]["change"] > 0


async def test_an_unknown_patch_is_an_invalid_params_error(clients: AgentClients) -> None:
    """The caller gets InvalidParamsError naming the known patches."""
    with pytest.raises(InvalidParamsError, match=r"known patches: 5\.0\.11"):
        await ask(clients, Part(text="terran on 6.1.2"))
