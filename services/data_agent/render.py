"""The human text of an answer, in English or Korean, written from its DataPart.

Writing the text from the same dictionary the DataPart carries keeps the two in
agreement. The text has 3 to 4 lines: what was counted, the races, the matchups,
and (when there is a patch to compare with) how the focus moved since then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from data_agent.domain import BRACKET_KO, MATCHUP_KO, MATCHUP_RACES, MATCHUPS, RACE_KO, RACES
from data_agent.query import Language, ResolvedQuery

__all__ = ["answer_text", "progress_text"]

MINUS: Final = "\u2212"
DASH: Final = "\u2013"


def progress_text(query: ResolvedQuery) -> str:
    """The progress message while the matches are counted."""
    if query.language == "ko":
        return f"{query.patch} 패치 경기 집계 중…"
    return f"Counting the matches of patch {query.patch}…"


def answer_text(answer: Mapping[str, Any], language: Language) -> str:
    """3-4 lines summarising ``answer`` (a ``agentbus.data.winrates/v1`` dictionary)."""
    query = answer["query"]
    races = _ordered(RACES, query["race"])
    matchups = _ordered(MATCHUPS, query["matchup"])
    if query["race"] is not None:
        matchups = sorted(matchups, key=lambda m: query["race"] not in MATCHUP_RACES[m])
    lines = [
        _header(answer, language),
        _label("races", language)
        + " · ".join(_rate(_race_name(r, language), answer["races"][r], language) for r in races),
        _label("matchups", language)
        + " · ".join(
            _rate(_matchup_name(m, language), answer["matchups"][m], language) for m in matchups
        ),
    ]
    if answer["trend"] is not None:
        movement = _movement(answer["trend"], query, language)
        lines.insert(1 if query["kind"] == "trend" else len(lines), movement)
    return "\n".join(lines)


def _header(answer: Mapping[str, Any], language: Language) -> str:
    filters = answer["filters"]
    games = f"{answer['total_games']:,}"
    if language == "ko":
        where = filters["map"] or "전체 맵"
        bracket = BRACKET_KO[filters["bracket"]] if filters["bracket"] else "전체 티어"
        return f"{answer['patch']} 패치 · {where} · {bracket} · 미러전 제외 {games}경기"
    where = filters["map"] or "all maps"
    bracket = filters["bracket"].capitalize() if filters["bracket"] else "all brackets"
    return f"Patch {answer['patch']} · {where} · {bracket} · {games} non-mirror games"


def _movement(trend: Mapping[str, Any], query: Mapping[str, Any], language: Language) -> str:
    """The trend line: the focus first (a race and its matchups, or a matchup and its races)."""
    race, matchup = query["race"], query["matchup"]
    if matchup is not None:
        items = [("matchups", matchup), *(("races", r) for r in MATCHUP_RACES[matchup])]
    elif race is not None:
        items = [("races", race), *(("matchups", m) for m in MATCHUPS if race in MATCHUP_RACES[m])]
    else:
        items = [("matchups", m) for m in MATCHUPS]
    parts = []
    for group, key in items:
        name = _race_name(key, language) if group == "races" else _matchup_name(key, language)
        parts.append(f"{name} {_delta(trend[group][key], language)}")
    arrow = f"{trend['from_patch']} → {trend['to_patch']}"
    head = f"{trend['from_patch']} 대비" if language == "ko" else f"vs {trend['from_patch']}"
    if query["kind"] == "trend":
        head = f"변화 {arrow}" if language == "ko" else f"Trend {arrow}"
    return f"{head}: " + " · ".join(parts)


def _rate(name: str, record: Mapping[str, Any], language: Language) -> str:
    games = f"n={record['games']:,}"
    if record["win_rate"] is None:
        return f"{name} {DASH} ({games})"
    low, high = (100 * bound for bound in record["ci95"])
    ci = "95% 신뢰구간" if language == "ko" else "95% CI"
    return f"{name} {100 * record['win_rate']:.1f}% ({games}, {ci} {low:.1f}{DASH}{high:.1f})"


def _delta(change: Mapping[str, Any], language: Language) -> str:
    if change["delta"] is None:
        return DASH
    points = 100 * change["delta"]
    sign = "+" if points > 0 else (MINUS if points < 0 else "±")
    unit = "%p" if language == "ko" else " pp"
    p_value = change["p_value"]
    p_text = "p<0.001" if p_value < 0.001 else f"p={p_value:.3f}"  # noqa: PLR2004 - display cut
    return f"{sign}{abs(points):.1f}{unit} ({p_text})"


def _label(group: str, language: Language) -> str:
    if language == "ko":
        return "종족 승률: " if group == "races" else "종족전: "
    return "Races: " if group == "races" else "Matchups: "


def _race_name(race: str, language: Language) -> str:
    return RACE_KO[race] if language == "ko" else race.capitalize()


def _matchup_name(matchup: str, language: Language) -> str:
    return MATCHUP_KO[matchup] if language == "ko" else matchup


def _ordered(names: tuple[str, ...], focus: str | None) -> list[str]:
    """``names`` with ``focus`` first."""
    return sorted(names, key=lambda name: name != focus)
