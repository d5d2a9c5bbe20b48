"""The shared game domain as the cs agent sees it: races, patches, units, maps.

The values are the ones every agentbus agent uses (see the data agent for the
same facts); the cs agent keeps its own copy so agents never import each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

__all__ = [
    "BRACKETS",
    "BRACKET_KO",
    "LATEST_PATCH",
    "MAPS",
    "PATCHES",
    "PATCH_NAMES",
    "RACES",
    "RACE_KO",
    "TOPICS",
    "TOPIC_KO",
    "UNITS",
    "Patch",
    "Unit",
    "previous_patch",
]

RACES: Final = ("terran", "zerg", "protoss")
BRACKETS: Final = ("bronze", "silver", "gold", "platinum", "diamond", "master", "grandmaster")
BRACKET_KO: Final = dict(
    zip(
        BRACKETS,
        ("브론즈", "실버", "골드", "플래티넘", "다이아", "마스터", "그랜드마스터"),
        strict=True,
    )
)
RACE_KO: Final = {"terran": "테란", "zerg": "저그", "protoss": "프로토스"}

TOPICS: Final = (
    "unit-balance",
    "matchmaking",
    "bugs",
    "maps",
    "performance",
    "toxicity",
    "ui",
    "praise",
    "other",
)
"""Ticket topics, in the order that breaks ties between equally matched topics."""

TOPIC_KO: Final = {
    "unit-balance": "유닛 밸런스",
    "matchmaking": "매칭",
    "bugs": "버그",
    "maps": "맵",
    "performance": "성능",
    "toxicity": "비매너",
    "ui": "UI",
    "praise": "칭찬",
    "other": "기타",
}


@dataclass(frozen=True, slots=True)
class Patch:
    """A game patch and the days (inclusive) it was live."""

    name: str
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """How many days the patch was live."""
        return (self.end - self.start).days + 1


PATCHES: Final = (
    Patch("5.0.11", dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
    Patch("5.0.12", dt.date(2026, 7, 1), dt.date(2026, 7, 31)),
    Patch("5.0.13", dt.date(2026, 8, 1), dt.date(2026, 8, 31)),
    Patch("5.0.14", dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
)
PATCH_NAMES: Final = tuple(p.name for p in PATCHES)
LATEST_PATCH: Final = PATCH_NAMES[-1]


def previous_patch(name: str) -> str | None:
    """The patch before ``name``, or None for the first one.

    Raises:
        ValueError: ``name`` is not a known patch.
    """
    index = PATCH_NAMES.index(name)
    return PATCH_NAMES[index - 1] if index else None


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as players name it in English and in Korean."""

    en: str
    ko: str


UNITS: Final = {
    "terran": (
        Unit("Marine", "마린"),
        Unit("Marauder", "불곰"),
        Unit("Siege Tank", "시즈 탱크"),
        Unit("Widow Mine", "위도우 마인"),
        Unit("Battlecruiser", "전투순양함"),
        Unit("Hellbat", "화염기갑병"),
        Unit("Cyclone", "사이클론"),
        Unit("Liberator", "해방선"),
        Unit("Ghost", "유령"),
        Unit("Thor", "토르"),
        Unit("Medivac", "의료선"),
        Unit("Reaper", "사신"),
    ),
    "zerg": (
        Unit("Zergling", "저글링"),
        Unit("Roach", "바퀴"),
        Unit("Ravager", "궤멸충"),
        Unit("Hydralisk", "히드라리스크"),
        Unit("Lurker", "가시지옥"),
        Unit("Mutalisk", "뮤탈리스크"),
        Unit("Queen", "여왕"),
        Unit("Baneling", "맹독충"),
        Unit("Brood Lord", "무리군주"),
        Unit("Infestor", "감염충"),
        Unit("Ultralisk", "울트라리스크"),
        Unit("Corruptor", "타락귀"),
    ),
    "protoss": (
        Unit("Zealot", "광전사"),
        Unit("Stalker", "추적자"),
        Unit("Adept", "사도"),
        Unit("Immortal", "불멸자"),
        Unit("Colossus", "거신"),
        Unit("Disruptor", "분열기"),
        Unit("Void Ray", "공허 포격기"),
        Unit("Carrier", "우주모함"),
        Unit("High Templar", "고위 기사"),
        Unit("Oracle", "예언자"),
        Unit("Tempest", "폭풍함"),
        Unit("Archon", "집정관"),
    ),
}

MAPS: Final = (
    "Alcyone LE",
    "Amphion LE",
    "Crimson Court LE",
    "Dynasty LE",
    "Ghost River LE",
    "Goldenaura LE",
    "Oceanborn LE",
    "Post-Youth LE",
)
