"""Questions in Korean and English, and structured DataParts, read into analysis scopes."""

import pytest

from cs_agent.logic import Scope
from cs_agent.query import MAX_QUESTION_CHARS, parse_request


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("테란 승률 분석", Scope("5.0.14", "5.0.13", race="terran")),
        ("what do players say about Zerg?", Scope("5.0.14", "5.0.13", race="zerg")),
        ("5.0.13 패치 프로토스 불만", Scope("5.0.13", "5.0.12", race="protoss")),
        (
            "complaints about terran in 5.0.13 vs 5.0.12",
            Scope("5.0.13", "5.0.12", race="terran"),
        ),
        ("매칭 관련 문의 추이", Scope("5.0.14", "5.0.13", topic="matchmaking")),
        ("5.0.11 feedback", Scope("5.0.11", None)),
        ("how did things change from 5.0.11 to 5.0.13?", Scope("5.0.13", "5.0.11")),
        ("TvZ complaints", Scope("5.0.14", "5.0.13", race="terran")),
        ("저프전 렉 문제", Scope("5.0.14", "5.0.13", race="zerg", topic="performance")),
        ("토스 유저들 반응", Scope("5.0.14", "5.0.13", race="protoss")),
        ("what don't players like?", Scope("5.0.14", "5.0.13")),
    ],
)
def test_questions_are_read_into_scopes(text: str, scope: Scope) -> None:
    """Race, patches (latest and the one before by default) and topic come from the words."""
    assert parse_request(text).scope == scope


@pytest.mark.parametrize(
    ("text", "language"),
    [("테란 불만", "ko"), ("Zerg 5.0.12 불만", "ko"), ("terran complaints", "en")],
)
def test_the_answer_language_follows_the_question(text: str, language: str) -> None:
    """Any Korean in the question means a Korean answer."""
    assert parse_request(text).language == language


def test_a_structured_query_wins_over_the_text() -> None:
    """A DataPart query decides the scope; the text still decides the language."""
    data = [{"query": {"race": "Terran", "patch": "5.0.13", "compare_patch": "5.0.11"}}]

    request = parse_request("저그 얘기 해주세요", data)

    assert request.scope == Scope("5.0.13", "5.0.11", race="terran")
    assert request.language == "ko"


def test_a_structured_query_alone_uses_defaults() -> None:
    """An empty query means the latest patch against the one before, in English."""
    request = parse_request("", [{"query": {}}])

    assert request.scope == Scope("5.0.14", "5.0.13")
    assert request.language == "en"


@pytest.mark.parametrize(
    ("text", "data", "message"),
    [
        ("terran in 5.0.9", (), r"unknown patch '5\.0\.9'; known patches: 5\.0\.11, 5\.0\.12"),
        ("5.0.11 5.0.12 5.0.13", (), "at most two patches"),
        ("", (), "empty question"),
        ("   ", (), "empty question"),
        ("x" * (MAX_QUESTION_CHARS + 1), (), "too long"),
        ("", [{"race": "terran"}], r'must be \{"query"'),
        ("", [{"query": "terran"}], r'must be \{"query"'),
        ("", [{"query": {"race": "naga"}}], "race: unknown race 'naga'; accepted: terran"),
        ("", [{"query": {"patch": 5.013}}], "patch: Input should be a valid string"),
        ("", [{"query": {"patch": "5.0.10"}}], "known patches"),
        ("", [{"query": {"topic": "weather"}}], "unknown topic 'weather'; accepted: unit-bal"),
        ("", [{"query": {"map": "Alcyone LE"}}], "map: Extra inputs are not permitted"),
        ("", [{"query": {"patch": "5.0.12", "compare_patch": "5.0.12"}}], "must differ"),
    ],
)
def test_bad_questions_are_refused_with_what_is_accepted(
    text: str, data: list[object], message: str
) -> None:
    """Unknown values, wrong types, empty or oversized questions raise ValueError saying why."""
    with pytest.raises(ValueError, match=message):
        parse_request(text, data)
