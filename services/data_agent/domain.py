"""The shared game domain: races, matchups, patches, brackets, maps and the balance story.

These values are the contract between the data and cs agents (each keeps its own
copy; they never import each other). Everything here is a constant or a pure
lookup.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, NamedTuple

__all__ = [
    "BRACKETS",
    "BRACKET_KO",
    "BRACKET_MULTIPLIER",
    "BRACKET_WEIGHTS",
    "LATEST_PATCH",
    "MAPS",
    "MAP_EFFECTS",
    "MATCHUPS",
    "MATCHUP_KO",
    "MATCHUP_RACES",
    "PATCHES",
    "PATCH_DATES",
    "RACES",
    "RACE_KO",
    "STORY",
    "GameCount",
    "matchup_of",
    "previous_patch",
]

RACES: Final = ("terran", "zerg", "protoss")
RACE_KO: Final = {"terran": "테란", "zerg": "저그", "protoss": "프로토스"}

MATCHUPS: Final = ("TvZ", "TvP", "ZvP")
MATCHUP_RACES: Final = {
    "TvZ": ("terran", "zerg"),
    "TvP": ("terran", "protoss"),
    "ZvP": ("zerg", "protoss"),
}
MATCHUP_KO: Final = {"TvZ": "테저전", "TvP": "테프전", "ZvP": "저프전"}

PATCH_DATES: Final = {
    "5.0.11": (dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
    "5.0.12": (dt.date(2026, 7, 1), dt.date(2026, 7, 31)),
    "5.0.13": (dt.date(2026, 8, 1), dt.date(2026, 8, 31)),
    "5.0.14": (dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
}
PATCHES: Final = tuple(PATCH_DATES)  # oldest first
LATEST_PATCH: Final = PATCHES[-1]

BRACKETS: Final = ("bronze", "silver", "gold", "platinum", "diamond", "master", "grandmaster")
BRACKET_KO: Final = {
    "bronze": "브론즈",
    "silver": "실버",
    "gold": "골드",
    "platinum": "플래티넘",
    "diamond": "다이아몬드",
    "master": "마스터",
    "grandmaster": "그랜드마스터",
}
# Share of games per bracket. Symmetric around platinum, so the population-weighted
# mean of BRACKET_MULTIPLIER is exactly 1 and overall rates equal the story's.
BRACKET_WEIGHTS: Final = {
    "bronze": 6,
    "silver": 12,
    "gold": 20,
    "platinum": 24,
    "diamond": 20,
    "master": 12,
    "grandmaster": 6,
}
# How strongly a bracket feels an imbalance: x0.6 at bronze rising evenly to x1.4.
BRACKET_MULTIPLIER: Final = {
    name: 0.6 + 0.8 * index / (len(BRACKETS) - 1) for index, name in enumerate(BRACKETS)
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
# Map effect on the first race's win probability, per matchup (each column sums to 0).
MAP_EFFECTS: Final = {
    "Alcyone LE": {"TvZ": 0.02, "TvP": -0.01, "ZvP": 0.0},
    "Amphion LE": {"TvZ": -0.01, "TvP": 0.02, "ZvP": -0.02},
    "Crimson Court LE": {"TvZ": 0.0, "TvP": -0.02, "ZvP": 0.01},
    "Dynasty LE": {"TvZ": -0.02, "TvP": 0.0, "ZvP": 0.02},
    "Ghost River LE": {"TvZ": 0.01, "TvP": 0.01, "ZvP": -0.01},
    "Goldenaura LE": {"TvZ": -0.01, "TvP": -0.01, "ZvP": 0.01},
    "Oceanborn LE": {"TvZ": 0.02, "TvP": 0.0, "ZvP": -0.02},
    "Post-Youth LE": {"TvZ": -0.01, "TvP": 0.01, "ZvP": 0.01},
}

# True win probability of each matchup's first race, per patch (the balance story).
STORY: Final = {
    "5.0.11": {"TvZ": 0.50, "TvP": 0.51, "ZvP": 0.49},
    "5.0.12": {"TvZ": 0.52, "TvP": 0.50, "ZvP": 0.55},
    "5.0.13": {"TvZ": 0.58, "TvP": 0.54, "ZvP": 0.51},
    "5.0.14": {"TvZ": 0.53, "TvP": 0.52, "ZvP": 0.50},
}


class GameCount(NamedTuple):
    """Games between ``race_a`` and ``race_b`` that ``winner`` won (a row of the DB layer)."""

    race_a: str
    race_b: str
    winner: str
    games: int


def matchup_of(race_a: str, race_b: str) -> str | None:
    """The matchup of two races in either order (``zerg, terran`` -> ``TvZ``); None for mirrors."""
    for name, pair in MATCHUP_RACES.items():
        if {race_a, race_b} == set(pair) and race_a != race_b:
            return name
    return None


def previous_patch(patch: str) -> str | None:
    """The patch released before ``patch``; None for the oldest."""
    index = PATCHES.index(patch)
    return PATCHES[index - 1] if index > 0 else None
