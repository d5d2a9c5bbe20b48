"""The balance agent's pure logic: scope, verdicts, recommendations, rendering."""

from __future__ import annotations

from typing import Any

import pytest

from balance_agent.logic import build_report, parse_scope, verdict
from balance_agent.report import render


def stats(rate: float, lo: float, hi: float, games: int = 5000) -> dict[str, Any]:
    return {"games": games, "wins": int(games * rate), "win_rate": rate, "ci95": [lo, hi]}


def data_answer(tvz: tuple[float, float, float] = (0.58, 0.567, 0.593)) -> dict[str, Any]:
    return {
        "schema": "agentbus.data.winrates/v1",
        "patch": "5.0.13",
        "races": {
            "terran": stats(0.56, 0.55, 0.57, 11000),
            "zerg": stats(0.47, 0.46, 0.48, 11000),
            "protoss": stats(0.47, 0.46, 0.48, 11000),
        },
        "matchups": {
            "TvZ": stats(*tvz),
            "TvP": stats(0.54, 0.527, 0.553),
            "ZvP": stats(0.51, 0.497, 0.523),
        },
        "trend": {
            "from_patch": "5.0.12",
            "to_patch": "5.0.13",
            "races": {"terran": {"from": 0.51, "to": 0.56, "delta": 0.05, "p_value": 0.0001}},
            "matchups": {"TvZ": {"from": 0.52, "to": 0.58, "delta": 0.06, "p_value": 0.00001}},
        },
    }


def cs_answer(change: float = 0.8) -> dict[str, Any]:
    return {
        "schema": "agentbus.cs.feedback/v1",
        "patch": "5.0.13",
        "previous_patch": "5.0.12",
        "complaints_by_race": {
            "terran": {"count": 420, "share": 0.45, "previous": 233, "change": change}
        },
        "top_topics": [{"topic": "unit-balance", "count": 300, "share": 0.5}],
        "sentiment": {"mean": -0.32, "negative_share": 0.61},
    }


@pytest.mark.parametrize(
    ("question", "race", "patch", "language"),
    [
        ("테란 승률 분석", "terran", None, "ko"),
        ("analyse Terran win rates", "terran", None, "en"),
        ("저그 5.0.12 패치 밸런스", "zerg", "5.0.12", "ko"),
        ("how is the game balanced?", None, None, "en"),
    ],
)
def test_scope_is_read_from_korean_and_english(
    question: str, race: str | None, patch: str | None, language: str
) -> None:
    """Race, patch and language come from the question's words."""
    scope = parse_scope(question)

    assert (scope.race, scope.patch, scope.language) == (race, patch, language)


def test_two_patches_mean_a_comparison() -> None:
    """'5.0.12 to 5.0.13' compares the later patch with the earlier one."""
    scope = parse_scope("terran 5.0.12 to 5.0.13")

    assert (scope.patch, scope.compare_patch) == ("5.0.13", "5.0.12")
    assert scope.query() == {"race": "terran", "patch": "5.0.13", "compare_patch": "5.0.12"}


def test_a_structured_query_wins_over_the_text() -> None:
    """A DataPart query overrides what the text says."""
    scope = parse_scope("테란 승률", {"race": "zerg", "patch": "5.0.11"})

    assert (scope.race, scope.patch) == ("zerg", "5.0.11")


@pytest.mark.parametrize(("question", "problem"), [("   ", "empty"), ("x" * 4001, "limit")])
def test_unusable_questions_are_refused(question: str, problem: str) -> None:
    """Empty or oversized questions raise ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=problem):
        parse_scope(question)


@pytest.mark.parametrize(
    ("rate", "ci", "expected"),
    [
        (0.58, (0.567, 0.593), "favoured"),
        (0.42, (0.40, 0.44), "underdog"),
        (0.56, (0.54, 0.58), "leaning-favoured"),
        (0.44, (0.42, 0.46), "leaning-underdog"),
        (0.51, (0.49, 0.53), "balanced"),
    ],
)
def test_verdicts_need_the_whole_interval_outside_the_band(
    rate: float, ci: tuple[float, float], expected: str
) -> None:
    """Significant only when the whole 95% interval is outside 45–55%."""
    assert verdict(rate, ci, 0.45, 0.55) == expected


def test_a_significant_tvz_imbalance_recommends_a_terran_nerf() -> None:
    """TvZ significantly above 55% with rising complaints: nerf Terran, community agrees."""
    scope = parse_scope("analyse Terran win rates")

    report = build_report(scope, data_answer(), cs_answer(), {})

    tvz = next(f for f in report.findings if f.subject == "TvZ")
    assert tvz.verdict == "favoured"
    assert tvz.delta_pp == 6.0
    assert "nerf:terran:TvZ" in report.recommendations
    assert "community-agrees:terran:" in report.recommendations
    assert {f.subject for f in report.findings} == {"terran", "TvZ", "TvP"}


def test_balanced_numbers_with_rising_complaints_are_a_perception_gap() -> None:
    """When numbers are balanced but complaints rise, the advice is to communicate."""
    data = data_answer(tvz=(0.52, 0.507, 0.533))
    data["matchups"]["TvP"] = stats(0.51, 0.497, 0.523)
    data["races"]["terran"] = stats(0.51, 0.50, 0.52)
    scope = parse_scope("terran")

    report = build_report(scope, data, cs_answer(change=0.5), {})

    assert "perception-gap:terran:" in report.recommendations
    assert not any(r.startswith("nerf") for r in report.recommendations)


def test_a_missing_agent_is_named_and_the_rest_still_reported() -> None:
    """Without cs the report still judges the numbers and names what is missing."""
    scope = parse_scope("analyse Terran win rates")

    report = build_report(scope, data_answer(), None, {"cs": "did not answer in time"})
    text = render(report)

    assert report.findings
    assert report.community is None
    assert "Missing parts" in text
    assert "cs: did not answer in time" in text
    assert report.as_data()["missing"] == {"cs": "did not answer in time"}


def test_the_report_is_written_in_the_language_of_the_question() -> None:
    """A Korean question gets a Korean report with the numbers in it."""
    scope = parse_scope("테란 승률 분석")

    text = render(build_report(scope, data_answer(), cs_answer(), {}))

    assert text.startswith("# 밸런스 보고서 — 테란 (패치 5.0.13)")
    assert "58.0%" in text
    assert "테란 너프 검토" in text
