"""Pure logic of the balance agent: the question's scope, verdicts, recommendations.

Nothing here talks to other agents; it reads their answers (the DataParts of the
data and cs agents) as plain dicts and decides.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "Finding",
    "Report",
    "Scope",
    "build_report",
    "parse_scope",
    "verdict",
]

RACES: Final = ("terran", "zerg", "protoss")
MATCHUPS: Final = {
    "TvZ": ("terran", "zerg"),
    "TvP": ("terran", "protoss"),
    "ZvP": ("zerg", "protoss"),
}
_RACE_WORDS: Final = {
    "terran": ("terran", "테란"),
    "zerg": ("zerg", "저그"),
    "protoss": ("protoss", "프로토스", "토스"),
}
_MATCHUP_WORDS: Final = {
    "TvZ": ("tvz", "zvt", "테저전", "저테전"),
    "TvP": ("tvp", "pvt", "테프전", "프테전"),
    "ZvP": ("zvp", "pvz", "저프전", "프저전"),
}
_PATCH: Final = re.compile(r"\b(\d+\.\d+\.\d+)\b")
_HANGUL: Final = re.compile(r"[\uac00-\ud7a3]")
MAX_QUESTION_CHARS: Final = 4000
TREND_P_VALUE: Final = 0.01
"""A change between patches this unlikely by chance is worth watching..."""
TREND_MIN_PP: Final = 2.0
"""...if it is at least this many percentage points."""
COMPLAINT_RISE: Final = 0.2
"""A rise in complaints above 20% from the previous patch is a community signal."""

Language = Literal["ko", "en"]
Verdict = Literal["favoured", "underdog", "leaning-favoured", "leaning-underdog", "balanced"]


@dataclass(frozen=True, slots=True)
class Scope:
    """What the question is about."""

    question: str
    language: Language
    race: str | None = None
    matchup: str | None = None
    patch: str | None = None
    compare_patch: str | None = None

    def query(self) -> dict[str, str]:
        """The structured query both data and cs understand (only what is set)."""
        fields = {"race": self.race, "patch": self.patch, "compare_patch": self.compare_patch}
        return {k: v for k, v in fields.items() if v is not None}


def parse_scope(question: str, structured: dict[str, Any] | None = None) -> Scope:
    """Read race, matchup and patches from a Korean or English question.

    A structured ``{"race": ..., "patch": ..., ...}`` wins over the text.

    Raises:
        ValueError: the question is empty or too long.
    """
    text = question.strip()
    if not text and not structured:
        raise ValueError(
            "the question is empty; ask e.g. '테란 승률 분석' or 'analyse Terran win rates'"
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise ValueError(
            f"the question has {len(text)} characters; the limit is {MAX_QUESTION_CHARS}"
        )
    lowered = text.lower()
    race = next((r for r, words in _RACE_WORDS.items() if any(w in lowered for w in words)), None)
    matchup = next(
        (m for m, words in _MATCHUP_WORDS.items() if any(w in lowered for w in words)), None
    )
    patches = _PATCH.findall(text)
    patch = patches[-1] if patches else None
    compare = patches[0] if len(patches) > 1 else None
    given = structured or {}
    return Scope(
        question=text or str(given),
        language="ko" if _HANGUL.search(text) else "en",
        race=_choice(given.get("race"), RACES) or race,
        matchup=_choice(given.get("matchup"), tuple(MATCHUPS)) or matchup,
        patch=given.get("patch") if isinstance(given.get("patch"), str) else patch,
        compare_patch=(
            given.get("compare_patch") if isinstance(given.get("compare_patch"), str) else compare
        ),
    )


def _choice(value: object, allowed: tuple[str, ...]) -> str | None:
    if not isinstance(value, str):
        return None
    for option in allowed:
        if option.lower() == value.lower():
            return option
    raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")


def verdict(rate: float, ci: tuple[float, float], low: float, high: float) -> Verdict:
    """Where a win rate stands against the [low, high] band, with significance.

    Significant means the whole 95% interval lies outside the band.
    """
    if ci[0] > high:
        return "favoured"
    if ci[1] < low:
        return "underdog"
    if rate > high:
        return "leaning-favoured"
    if rate < low:
        return "leaning-underdog"
    return "balanced"


@dataclass(frozen=True, slots=True)
class Finding:
    """The verdict on one race or matchup, with its evidence."""

    subject: str
    kind: Literal["race", "matchup"]
    win_rate: float
    ci95: tuple[float, float]
    games: int
    verdict: Verdict
    delta_pp: float | None = None
    p_value: float | None = None


@dataclass(slots=True)
class Report:
    """The balance report: findings, the community signal and what to do."""

    scope: Scope
    patch: str | None
    compare_patch: str | None
    findings: list[Finding] = field(default_factory=list)
    community: dict[str, Any] | None = None
    recommendations: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)

    def as_data(self) -> dict[str, Any]:
        """The report as the DataPart ``agentbus.balance.report/v1``."""
        return {
            "schema": "agentbus.balance.report/v1",
            "scope": asdict(self.scope),
            "patch": self.patch,
            "compare_patch": self.compare_patch,
            "findings": [asdict(f) for f in self.findings],
            "community": self.community,
            "recommendations": self.recommendations,
            "missing": self.missing,
        }


def _findings(data: dict[str, Any], scope: Scope, low: float, high: float) -> list[Finding]:
    trend = data.get("trend") or {}
    rows: list[Finding] = []
    for kind, table, keys in (
        ("race", data.get("races", {}), RACES),
        ("matchup", data.get("matchups", {}), tuple(MATCHUPS)),
    ):
        for key in keys:
            stats = table.get(key)
            if not stats:
                continue
            relevant = (
                scope.race is None
                or (kind == "race" and key == scope.race)
                or (kind == "matchup" and scope.race in MATCHUPS[key])
            )
            if scope.matchup is not None:
                relevant = key == scope.matchup or (
                    kind == "race" and key in MATCHUPS[scope.matchup]
                )
            if not relevant:
                continue
            ci = (float(stats["ci95"][0]), float(stats["ci95"][1]))
            moved = (trend.get("races" if kind == "race" else "matchups") or {}).get(key) or {}
            rows.append(
                Finding(
                    subject=key,
                    kind=kind,  # type: ignore[arg-type]
                    win_rate=float(stats["win_rate"]),
                    ci95=ci,
                    games=int(stats["games"]),
                    verdict=verdict(float(stats["win_rate"]), ci, low, high),
                    delta_pp=round(float(moved["delta"]) * 100, 2) if "delta" in moved else None,
                    p_value=float(moved["p_value"]) if "p_value" in moved else None,
                )
            )
    return rows


def _recommendations(report: Report) -> list[str]:
    tips: list[str] = []
    for f in report.findings:
        if f.kind != "matchup":
            continue
        first = MATCHUPS[f.subject][0]
        if f.verdict == "favoured":
            tips.append(f"nerf:{first}:{f.subject}")
        elif f.verdict == "underdog":
            tips.append(f"buff:{first}:{f.subject}")
        elif f.verdict.startswith("leaning"):
            tips.append(f"monitor::{f.subject}")
        elif (
            f.p_value is not None
            and f.p_value < TREND_P_VALUE
            and abs(f.delta_pp or 0) >= TREND_MIN_PP
        ):
            tips.append(f"watch-trend::{f.subject}")
    race = report.scope.race
    community = report.community or {}
    mine = (community.get("complaints_by_race") or {}).get(race or "", {})
    change = mine.get("change")
    imbalanced = any(f.verdict in {"favoured", "underdog"} for f in report.findings)
    if race and isinstance(change, float | int):
        if change > COMPLAINT_RISE and not imbalanced:
            tips.append(f"perception-gap:{race}:")
        elif change > COMPLAINT_RISE and imbalanced:
            tips.append(f"community-agrees:{race}:")
    if not tips:
        tips.append("no-change::")
    return tips


def build_report(
    scope: Scope,
    data: dict[str, Any] | None,
    cs: dict[str, Any] | None,
    missing: dict[str, str],
    *,
    low: float = 0.45,
    high: float = 0.55,
) -> Report:
    """Decide verdicts and recommendations from whatever answers arrived."""
    report = Report(
        scope=scope,
        patch=(data or cs or {}).get("patch"),
        compare_patch=((data or {}).get("trend") or {}).get("from_patch")
        or (cs or {}).get("previous_patch"),
        community=cs,
        missing=dict(missing),
    )
    if data is not None:
        report.findings = _findings(data, scope, low, high)
    report.recommendations = _recommendations(report)
    return report
