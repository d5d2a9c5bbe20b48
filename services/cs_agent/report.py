"""The answer's human text: 3-6 lines that summarise its DataPart, in Korean or English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cs_agent.domain import RACE_KO, RACES, TOPIC_KO

__all__ = ["answer_text"]

_TOPIC_EN: Final = {
    "unit-balance": "unit balance",
    "matchmaking": "matchmaking",
    "bugs": "bugs",
    "maps": "maps",
    "performance": "performance",
    "toxicity": "toxicity",
    "ui": "UI",
    "praise": "praise",
    "other": "other",
}


def answer_text(answer: Mapping[str, Any], language: str = "en") -> str:
    """A short summary of ``answer`` (the cs DataPart) in ``language`` ("ko" or "en")."""
    ko = language == "ko"
    lines = [_headline(answer, ko), _races(answer, ko), _topics(answer, ko)]
    if answer.get("focus_topic"):
        lines.append(_focus_topic(answer, ko))
    lines.append(_sentiment(answer, ko))
    if answer["samples"]:
        lines.append(("예시: " if ko else "Example: ") + f"“{answer['samples'][0]}”")
    return "\n".join(lines)


def _race_name(race: str, ko: bool) -> str:
    return RACE_KO[race] if ko else race.capitalize()


def _topic_name(topic: str, ko: bool) -> str:
    return TOPIC_KO[topic] if ko else _TOPIC_EN[topic]


def _change(entry: Mapping[str, Any]) -> str:
    """``, +35%`` from the compared patch; ``, new`` when it had none; empty otherwise."""
    if entry["change"] is not None:
        return f", {entry['change']:+.0%}"
    return ", new" if entry["previous"] == 0 and entry["count"] else ""


def _headline(answer: Mapping[str, Any], ko: bool) -> str:
    patch, tickets, complaints = answer["patch"], answer["tickets"], answer["complaints"]
    rate = f"{complaints / tickets:.0%}" if tickets else "0%"
    if ko:
        return f"{patch} 패치 피드백 {tickets:,}건 중 불만 {complaints:,}건({rate})."
    return f"Patch {patch}: {tickets:,} feedback tickets, {complaints:,} complaints ({rate})."


def _races(answer: Mapping[str, Any], ko: bool) -> str:
    table, previous = answer["complaints_by_race"], answer["previous_patch"]
    parts = []
    for race in RACES:
        entry = table[race]
        detail = f"{entry['share']:.0%}{_change(entry)}"
        count = f"{entry['count']:,}건" if ko else f"{entry['count']:,} "
        parts.append(f"{_race_name(race, ko)} {count}({detail})")
    if ko:
        head = f"종족별 불만({previous} 대비)" if previous else "종족별 불만"
    else:
        head = f"Complaints by race (change vs {previous})" if previous else "Complaints by race"
    return f"{head}: " + ", ".join(parts)


def _topics(answer: Mapping[str, Any], ko: bool) -> str:
    race = answer["focus_race"]
    listed = ", ".join(
        f"{_topic_name(t['topic'], ko)} {t['share']:.0%}" for t in answer["top_topics"]
    )
    if ko:
        return f"{_race_name(race, ko) + ' 관련 ' if race else ''}주요 주제: {listed or '없음'}"
    return f"Top topics{' for ' + _race_name(race, ko) if race else ''}: {listed or 'none'}"


def _focus_topic(answer: Mapping[str, Any], ko: bool) -> str:
    entry, previous = answer["focus_topic"], answer["previous_patch"]
    name = _topic_name(entry["topic"], ko)
    if ko:
        then = f" ({previous} {entry['previous']:,}건{_change(entry)})" if previous else ""
        return f"{name} 관련 티켓: {entry['count']:,}건{then}"
    then = f" ({entry['previous']:,} in {previous}{_change(entry)})" if previous else ""
    return f"{name.capitalize()} tickets: {entry['count']:,}{then}"


def _sentiment(answer: Mapping[str, Any], ko: bool) -> str:
    mood, race = answer["sentiment"], answer["focus_race"]
    if ko:
        line = f"감정 점수 평균 {mood['mean']:+.2f}, 부정 비율 {mood['negative_share']:.0%}"
    else:
        line = f"Sentiment: mean {mood['mean']:+.2f}, {mood['negative_share']:.0%} negative"
    if race:
        own = mood["by_race"][race]
        if ko:
            line += f" ({_race_name(race, ko)} {own['mean']:+.2f}, {own['negative_share']:.0%})"
        else:
            line += f"; {_race_name(race, ko)} {own['mean']:+.2f}, {own['negative_share']:.0%}"
    return line + "."
