"""Reading Korean and English questions into queries."""

from __future__ import annotations

import pytest

from data_agent.parsing import MAX_QUESTION_CHARS, parse_question, read_request
from data_agent.query import QueryError, ResolvedQuery


def resolved(text: str) -> ResolvedQuery:
    return read_request(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "테란 승률 분석",
            ResolvedQuery("5.0.14", "5.0.13", "winrate", race="terran", language="ko"),
        ),
        (
            "analyse Terran win rates",
            ResolvedQuery("5.0.14", "5.0.13", "winrate", race="terran"),
        ),
        (
            "TvZ win rate on patch 5.0.13",
            ResolvedQuery("5.0.13", "5.0.12", "winrate", matchup="TvZ"),
        ),
        (
            "저그 대 프로토스 5.0.12 패치 승률",
            ResolvedQuery("5.0.12", "5.0.11", "winrate", matchup="ZvP", language="ko"),
        ),
        (
            "프로토스 다이아 승률",
            ResolvedQuery(
                "5.0.14", "5.0.13", "winrate", race="protoss", bracket="diamond", language="ko"
            ),
        ),
        (
            "Protoss winrate on Oceanborn LE in master",
            ResolvedQuery(
                "5.0.14", "5.0.13", "winrate", race="protoss", map="Oceanborn LE", bracket="master"
            ),
        ),
        (
            "terran trend 5.0.12 to 5.0.13",
            ResolvedQuery("5.0.13", "5.0.12", "trend", race="terran"),
        ),
        (
            "5.0.13 대비 5.0.14 테란 변화",
            ResolvedQuery("5.0.14", "5.0.13", "trend", race="terran", language="ko"),
        ),
    ],
)
def test_the_example_questions_are_understood(text: str, expected: ResolvedQuery) -> None:
    """Every example question of the brief resolves to the intended query."""
    assert resolved(text) == expected


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("zerg vs terran", "matchup", "TvZ"),
        ("T vs P in grandmaster", "matchup", "TvP"),
        ("테저전 승률", "matchup", "TvZ"),
        ("Terrans and Zergs", "matchup", "TvZ"),
        ("terran, zerg and protoss", "matchup", None),
        ("toss on Post-Youth", "map", "Post-Youth LE"),
        ("골든오라 골드 구간 저그", "map", "Goldenaura LE"),
        ("골든오라 골드 구간 저그", "bracket", "gold"),
        ("Goldenaura LE terran", "bracket", None),
        ("그랜드마스터 테란", "bracket", "grandmaster"),
        ("changes since 5.0.12", "compare_patch", "5.0.12"),
        ("5.0.12 이후 프로토스", "patch", "5.0.14"),
        ("win rates 5.0.14 vs 5.0.12", "compare_patch", "5.0.12"),
        ("how did TvP change", "kind", "trend"),
    ],
)
def test_questions_name_matchups_maps_brackets_and_patches(
    text: str, field: str, expected: str | None
) -> None:
    """Races, matchups, maps, brackets and patches are found in either language."""
    assert getattr(resolved(text), field) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the question is empty"),
        ("   ", "the question is empty"),
        ("x" * (MAX_QUESTION_CHARS + 1), f"at most {MAX_QUESTION_CHARS}"),
        ("terran on 6.1.2", "unknown patch '6.1.2'; known patches: 5.0.11, 5.0.12, 5.0.13"),
        ("random win rate", "accepted: terran, zerg, protoss"),
        ("TvT on 5.0.13", "mirror matchup"),
        ("저저전 승률", "mirror matchup"),
        ("gold and silver", "one bracket at a time"),
        ("Oceanborn or Dynasty", "one map at a time"),
        ("5.0.11 5.0.12 5.0.13", "at most two patches"),
        ("5.0.11 trend", "oldest patch"),
    ],
)
def test_questions_that_cannot_be_answered_are_refused(text: str, message: str) -> None:
    """Unknown patches or races, mirrors and ambiguous filters are refused with a reason."""
    with pytest.raises(QueryError, match=message):
        read_request(text)


def test_a_structured_query_wins_and_the_text_picks_the_language() -> None:
    """With a DataPart the text is not parsed; a Korean text still asks for Korean."""
    result = read_request("아무 말", [{"query": {"matchup": "TvP", "patch": "5.0.12"}}])

    assert result == ResolvedQuery("5.0.12", "5.0.11", "winrate", matchup="TvP", language="ko")


def test_several_data_parts_are_refused() -> None:
    """One structured query at a time."""
    with pytest.raises(QueryError, match="one DataPart"):
        read_request("", [{"query": {}}, {"query": {}}])


def test_parse_question_leaves_unmentioned_fields_empty() -> None:
    """The parser reports only what the question says; defaults come later."""
    parsed = parse_question("terran")

    assert parsed.query.patch is None
    assert parsed.query.compare_patch is None
    assert parsed.language == "en"
