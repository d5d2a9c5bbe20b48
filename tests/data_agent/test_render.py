"""The text of an answer, in English and Korean."""

from __future__ import annotations

from typing import Any

from data_agent.domain import GameCount
from data_agent.logic import build_answer, tally
from data_agent.query import ResolvedQuery
from data_agent.render import MINUS, answer_text, progress_text

BEFORE = [
    GameCount("terran", "zerg", "terran", 580),
    GameCount("terran", "zerg", "zerg", 420),
    GameCount("protoss", "terran", "terran", 500),
    GameCount("protoss", "terran", "protoss", 500),
    GameCount("zerg", "protoss", "zerg", 500),
    GameCount("zerg", "protoss", "protoss", 500),
]
AFTER = [
    GameCount("terran", "zerg", "terran", 530),
    GameCount("terran", "zerg", "zerg", 470),
    *BEFORE[2:],
]


def answer(**query: Any) -> dict[str, Any]:
    resolved = ResolvedQuery(
        **{"patch": "5.0.14", "compare_patch": "5.0.13", "kind": "winrate", **query}
    )
    return build_answer(resolved, tally(AFTER), tally(BEFORE))


def test_english_text_has_counts_rates_intervals_and_the_change() -> None:
    """The text names the patch, every race and matchup with n and CI, and the change."""
    data = answer(matchup="TvZ")

    lines = answer_text(data, "en").splitlines()

    assert lines[0] == "Patch 5.0.14 · all maps · all brackets · 3,000 non-mirror games"
    assert lines[1].startswith("Races: Terran 51.5% (n=2,000, 95% CI 49.3–53.7)")
    assert lines[2].startswith("Matchups: TvZ 53.0% (n=1,000, 95% CI 49.9–56.1) · TvP")
    assert lines[3].startswith(f"vs 5.0.13: TvZ {MINUS}5.0 pp (p=0.024)")
    assert len(lines) == 4


def test_korean_text_is_korean() -> None:
    """A Korean question gets Korean names, units and labels."""
    data = answer(race="zerg", bracket="diamond", language="ko")

    text = answer_text(data, "ko")

    assert text.splitlines()[0] == "5.0.14 패치 · 전체 맵 · 다이아몬드 · 미러전 제외 3,000경기"
    assert "종족 승률: 저그 " in text
    assert "5.0.13 대비: 저그 +2.5%p" in text
    assert "Terran" not in text


def test_a_trend_question_puts_the_change_first() -> None:
    """For a trend the change line comes right after the header."""
    data = answer(race="terran", kind="trend")

    lines = answer_text(data, "en").splitlines()

    assert lines[1].startswith(f"Trend 5.0.13 → 5.0.14: Terran {MINUS}2.5 pp")


def test_without_a_comparison_there_are_three_lines() -> None:
    """The oldest patch has no change line."""
    data = build_answer(ResolvedQuery("5.0.11", None, "winrate"), tally(AFTER), None)

    assert len(answer_text(data, "en").splitlines()) == 3


def test_progress_text_follows_the_language() -> None:
    """The progress message is in the question's language."""
    assert "5.0.12" in progress_text(ResolvedQuery("5.0.12", "5.0.11", "winrate"))
    assert "집계" in progress_text(ResolvedQuery("5.0.12", "5.0.11", "winrate", language="ko"))
