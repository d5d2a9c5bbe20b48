"""The answer's text: a 3-6 line summary of the DataPart, in the question's language."""

from cs_agent.logic import Scope, Scored, build_answer
from cs_agent.report import answer_text


def test_a_korean_answer_for_a_korean_question(by_patch: dict[str, list[Scored]]) -> None:
    """The Korean summary names the patch, the race complaints with change, and an example."""
    answer = build_answer(by_patch, Scope("5.0.13", "5.0.12", race="terran"), "ko")

    lines = answer_text(answer, "ko").splitlines()

    terran = answer["complaints_by_race"]["terran"]
    assert 3 <= len(lines) <= 6
    assert lines[0].startswith("5.0.13 패치 피드백 3,240건 중 불만")
    assert f"테란 {terran['count']:,}건({terran['share']:.0%}, {terran['change']:+.0%})" in lines[1]
    assert lines[2].startswith("테란 관련 주요 주제: 유닛 밸런스")
    assert lines[-1].startswith("예시: “")


def test_an_english_answer_for_the_first_patch(by_patch: dict[str, list[Scored]]) -> None:
    """Without a compared patch the summary leaves changes out."""
    answer = build_answer(by_patch, Scope("5.0.11", None), "en")

    lines = answer_text(answer, "en").splitlines()

    assert 3 <= len(lines) <= 6
    assert lines[0].startswith("Patch 5.0.11: 2,880 feedback tickets")
    assert lines[1].startswith("Complaints by race: Terran")
    assert "change" not in lines[1]
    assert lines[2].startswith("Top topics: unit balance")


def test_a_focus_topic_gets_a_line_with_its_trend(by_patch: dict[str, list[Scored]]) -> None:
    """Asking about matchmaking adds its count now and in the patch before."""
    answer = build_answer(by_patch, Scope("5.0.14", "5.0.13", topic="matchmaking"), "ko")
    entry = answer["focus_topic"]

    text = answer_text(answer, "ko")

    assert f"매칭 관련 티켓: {entry['count']:,}건 (5.0.13 {entry['previous']:,}건, +" in text
    assert len(text.splitlines()) == 6
