"""The statistics: Wilson intervals, the z-test, tallies, trends and the answer."""

from __future__ import annotations

import pytest

from data_agent.domain import GameCount
from data_agent.logic import (
    SCHEMA,
    Record,
    build_answer,
    normal_cdf,
    tally,
    trend,
    two_proportion_p_value,
    wilson_interval,
)
from data_agent.query import ResolvedQuery


@pytest.mark.parametrize(
    ("wins", "games", "expected"),
    [
        (50, 100, (0.4038, 0.5962)),
        (0, 10, (0.0, 0.2775)),
        (81, 263, (0.2553, 0.3662)),
        (10, 10, (0.7225, 1.0)),
    ],
)
def test_wilson_interval_matches_published_values(
    wins: int, games: int, expected: tuple[float, float]
) -> None:
    """The 95% Wilson score interval equals the textbook values to four decimals."""
    low, high = wilson_interval(wins, games)

    assert (round(low, 4), round(high, 4)) == expected


def test_wilson_interval_without_games_is_everything() -> None:
    """With no games the interval is the whole range [0, 1]."""
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_interval_refuses_more_wins_than_games() -> None:
    """Counts that cannot be are refused, naming them."""
    with pytest.raises(ValueError, match="3 of 2"):
        wilson_interval(3, 2)


@pytest.mark.parametrize(
    ("x", "expected"),
    [(0.0, 0.5), (1.959963984540054, 0.975), (-1.0, 0.158655253931457), (3.0, 0.998650101968370)],
)
def test_normal_cdf_matches_the_table(x: float, expected: float) -> None:
    """The standard normal CDF agrees with the table."""
    assert normal_cdf(x) == pytest.approx(expected, abs=1e-12)


def test_normal_cdf_keeps_precision_in_the_far_tail() -> None:
    """Far-tail probabilities stay positive instead of rounding to zero."""
    assert normal_cdf(-10.0) == pytest.approx(7.619853024160527e-24, rel=1e-9)


def test_two_proportion_p_value_matches_a_known_case() -> None:
    """50/100 against 60/100 gives z = 1.4213, two-sided p = 0.1552."""
    assert two_proportion_p_value(50, 100, 60, 100) == pytest.approx(0.15522, abs=1e-5)


@pytest.mark.parametrize(
    "counts",
    [(30, 100, 30, 100), (0, 0, 5, 10), (10, 10, 20, 20)],
)
def test_two_proportion_p_value_without_evidence_is_one(counts: tuple[int, int, int, int]) -> None:
    """Equal rates, an empty sample or no variance give p = 1."""
    assert two_proportion_p_value(*counts) == 1.0


def test_tally_counts_races_and_matchups_and_sets_mirrors_aside() -> None:
    """Race rates use the non-mirror games a race played; a matchup's is its first race's."""
    counts = [
        GameCount("zerg", "terran", "terran", 30),
        GameCount("terran", "zerg", "zerg", 20),
        GameCount("terran", "terran", "terran", 40),
        GameCount("protoss", "zerg", "zerg", 10),
    ]

    result = tally(counts)

    assert result.matchups["TvZ"] == Record(games=50, wins=30)
    assert result.matchups["ZvP"] == Record(games=10, wins=10)
    assert result.matchups["TvP"] == Record()
    assert result.races["zerg"] == Record(games=60, wins=30)
    assert result.races["terran"] == Record(games=50, wins=30)
    assert result.mirror_games == 40
    assert result.games == 60


def test_trend_reports_rates_delta_and_p_value() -> None:
    """A trend line holds both rates, their difference and the z-test's p-value."""
    before = tally(
        [GameCount("terran", "zerg", "terran", 50), GameCount("terran", "zerg", "zerg", 50)]
    )
    after = tally(
        [GameCount("terran", "zerg", "terran", 60), GameCount("terran", "zerg", "zerg", 40)]
    )

    result = trend(before, after, from_patch="5.0.12", to_patch="5.0.13")

    assert result["matchups"]["TvZ"] == {"from": 0.5, "to": 0.6, "delta": 0.1, "p_value": 0.1552}
    assert result["matchups"]["TvP"] == {"from": None, "to": None, "delta": None, "p_value": None}


def test_build_answer_has_every_race_and_matchup_rounded() -> None:
    """The answer always carries all races and matchups, rates rounded to four decimals."""
    counts = [GameCount("terran", "zerg", "terran", 2), GameCount("terran", "zerg", "zerg", 1)]
    query = ResolvedQuery(patch="5.0.14", compare_patch="5.0.13", kind="winrate", race="terran")

    answer = build_answer(query, tally(counts), tally(counts))

    assert answer["schema"] == SCHEMA
    assert set(answer["races"]) == {"terran", "zerg", "protoss"}
    assert set(answer["matchups"]) == {"TvZ", "TvP", "ZvP"}
    assert answer["matchups"]["TvZ"]["win_rate"] == 0.6667
    assert answer["races"]["protoss"] == {
        "games": 0,
        "wins": 0,
        "win_rate": None,
        "ci95": [0.0, 1.0],
    }
    assert answer["trend"]["from_patch"] == "5.0.13"
    assert answer["query"]["race"] == "terran"
    assert answer["total_games"] == 3


def test_build_answer_without_a_patch_to_compare_has_no_trend() -> None:
    """The oldest patch, asked alone, is answered with trend None."""
    query = ResolvedQuery(patch="5.0.11", compare_patch=None, kind="winrate")

    answer = build_answer(query, tally([]), None)

    assert answer["trend"] is None
    assert answer["total_games"] == 0
