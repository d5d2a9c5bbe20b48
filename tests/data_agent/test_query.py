"""The structured query: normalized names, validation messages and defaults."""

from __future__ import annotations

import pytest

from data_agent.query import (
    Query,
    QueryError,
    ResolvedQuery,
    normalize_bracket,
    normalize_map,
    normalize_matchup,
    query_from_data,
    resolve,
)


@pytest.mark.parametrize(
    ("spelled", "expected"),
    [
        ("TvZ", "TvZ"),
        ("zvt", "TvZ"),
        ("terran vs zerg", "TvZ"),
        ("zerg versus terran", "TvZ"),
        ("P v T", "TvP"),
        ("테저전", "TvZ"),
        ("프저전", "ZvP"),
        ("저그 대 프로토스", "ZvP"),
    ],
)
def test_matchups_are_read_in_any_order_and_spelling(spelled: str, expected: str) -> None:
    """Any spelling and order of a matchup becomes its canonical name."""
    assert normalize_matchup(spelled) == expected


@pytest.mark.parametrize("spelled", ["TvT", "terran vs random", "XvY"])
def test_mirrors_and_unknown_matchups_are_refused(spelled: str) -> None:
    """Mirrors and unknown races are refused with the accepted matchups."""
    with pytest.raises(QueryError, match="accepted: TvZ, TvP, ZvP"):
        normalize_matchup(spelled)


def test_names_are_normalized() -> None:
    """Map and bracket names are matched without case, spaces, hyphens or the LE suffix."""
    assert normalize_map("post youth") == "Post-Youth LE"
    assert normalize_map("OCEANBORN le") == "Oceanborn LE"
    assert normalize_bracket("다이아") == "diamond"
    assert normalize_bracket("GM") == "grandmaster"


def test_a_structured_query_is_validated_and_normalized() -> None:
    """A DataPart query has its names normalized."""
    data = {"query": {"race": "Terran", "matchup": "zvt", "map": "oceanborn", "kind": "trend"}}

    query = query_from_data(data)

    assert query == Query(race="terran", matchup="TvZ", map="Oceanborn LE", kind="trend")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"query": {"race": 5.0}}, r"race: Input should be a valid string \(got 5.0\)"),
        ({"query": {"race": "random"}}, "unknown race 'random'; accepted: terran, zerg, protoss"),
        ({"query": {"patch": "6.1.2"}}, "known patches: 5.0.11, 5.0.12, 5.0.13, 5.0.14"),
        ({"query": {"bracket": "iron"}}, "accepted: bronze, silver"),
        ({"query": {"kind": "forecast"}}, "kind: Input should be 'winrate' or 'trend'"),
        ({"query": {"season": 3}}, "season: unknown field; accepted fields: race, matchup"),
        ({"query": ["terran"]}, r'must look like \{"query": \{...\}\}'),
        ({"question": "terran"}, r'must look like \{"query": \{...\}\}'),
    ],
)
def test_invalid_structured_queries_say_what_is_wrong(data: object, message: str) -> None:
    """Wrong types, unknown values and unknown fields are refused with what is accepted."""
    with pytest.raises(QueryError, match=message):
        query_from_data(data)


def test_defaults_are_the_latest_patch_compared_with_the_previous() -> None:
    """An empty query asks for win rates of the latest patch, compared with the one before."""
    assert resolve(Query()) == ResolvedQuery(patch="5.0.14", compare_patch="5.0.13", kind="winrate")


def test_a_named_compare_patch_makes_a_trend() -> None:
    """Naming a compare patch asks for a trend."""
    resolved = resolve(Query(patch="5.0.13", compare_patch="5.0.11"), "ko")

    assert (resolved.compare_patch, resolved.kind, resolved.language) == ("5.0.11", "trend", "ko")


def test_the_oldest_patch_has_no_default_comparison() -> None:
    """Win rates of the oldest patch come without a comparison; its trend is refused."""
    assert resolve(Query(patch="5.0.11")).compare_patch is None
    with pytest.raises(QueryError, match="oldest patch"):
        resolve(Query(patch="5.0.11", kind="trend"))


def test_comparing_a_patch_with_itself_is_refused() -> None:
    """A patch compared with itself is refused."""
    with pytest.raises(QueryError, match="is the patch itself"):
        resolve(Query(patch="5.0.12", compare_patch="5.0.12"))
