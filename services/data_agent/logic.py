"""Pure statistics of the data agent: win rates, Wilson intervals, trends, the answer.

The database layer hands over ``GameCount`` rows (games per race pairing and
winner); everything here is arithmetic on them. A race's win rate is over the
non-mirror games it played; a matchup's is the win rate of its first race.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from data_agent.domain import MATCHUP_RACES, MATCHUPS, RACES, GameCount, matchup_of
from data_agent.query import ResolvedQuery

__all__ = [
    "SCHEMA",
    "Z95",
    "Record",
    "Tally",
    "build_answer",
    "normal_cdf",
    "tally",
    "trend",
    "two_proportion_p_value",
    "wilson_interval",
]

SCHEMA: Final = "agentbus.data.winrates/v1"
Z95: Final = 1.959963984540054  # the 97.5th percentile of the standard normal
RATE_DIGITS: Final = 4
P_VALUE_DIGITS: Final = 4  # significant digits: small p-values stay readable


def wilson_interval(wins: int, games: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``wins`` out of ``games`` (``(0, 1)`` for no games)."""
    if not 0 <= wins <= games:
        raise ValueError(f"wins must be between 0 and games, got {wins} of {games}")
    if games == 0:
        return 0.0, 1.0
    p = wins / games
    z2 = z * z
    centre = (p + z2 / (2 * games)) / (1 + z2 / games)
    margin = z * math.sqrt(p * (1 - p) / games + z2 / (4 * games * games)) / (1 + z2 / games)
    return max(0.0, centre - margin), min(1.0, centre + margin)


def normal_cdf(x: float) -> float:
    """P(Z <= x) for a standard normal Z."""
    # 1 + erf(x / sqrt 2), written with erfc, its complement, so far tails keep precision.
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def two_proportion_p_value(wins_1: int, games_1: int, wins_2: int, games_2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 when it cannot tell)."""
    if games_1 == 0 or games_2 == 0:
        return 1.0
    pooled = (wins_1 + wins_2) / (games_1 + games_2)
    variance = pooled * (1 - pooled) * (1 / games_1 + 1 / games_2)
    if variance == 0:
        return 1.0
    z = (wins_1 / games_1 - wins_2 / games_2) / math.sqrt(variance)
    return min(1.0, 2.0 * normal_cdf(-abs(z)))


@dataclass(frozen=True, slots=True)
class Record:
    """Wins out of games."""

    games: int = 0
    wins: int = 0

    @property
    def rate(self) -> float | None:
        """Wins per game; None without games."""
        return self.wins / self.games if self.games else None

    def summary(self) -> dict[str, Any]:
        """``{"games", "wins", "win_rate", "ci95"}`` as the answer carries it."""
        low, high = wilson_interval(self.wins, self.games)
        return {
            "games": self.games,
            "wins": self.wins,
            "win_rate": _rounded(self.rate),
            "ci95": [round(low, RATE_DIGITS), round(high, RATE_DIGITS)],
        }


@dataclass(frozen=True, slots=True)
class Tally:
    """Records of every race and matchup in one slice of the data."""

    races: dict[str, Record]
    matchups: dict[str, Record]
    mirror_games: int

    @property
    def games(self) -> int:
        """Non-mirror games: the sample the statistics are computed from."""
        return sum(record.games for record in self.matchups.values())


def tally(counts: Iterable[GameCount]) -> Tally:
    """Race and matchup records from per-pairing counts; mirror games are only counted."""
    races = dict.fromkeys(RACES, (0, 0))
    matchups = dict.fromkeys(MATCHUPS, (0, 0))
    mirrors = 0
    for count in counts:
        matchup = matchup_of(count.race_a, count.race_b)
        if matchup is None:
            mirrors += count.games
            continue
        for race in (count.race_a, count.race_b):
            games, wins = races[race]
            races[race] = (games + count.games, wins + (count.games if count.winner == race else 0))
        first = MATCHUP_RACES[matchup][0]
        games, wins = matchups[matchup]
        matchups[matchup] = (
            games + count.games,
            wins + (count.games if count.winner == first else 0),
        )
    return Tally(
        races={race: Record(*pair) for race, pair in races.items()},
        matchups={name: Record(*pair) for name, pair in matchups.items()},
        mirror_games=mirrors,
    )


def _change(before: Record, after: Record) -> dict[str, float | None]:
    """One line of a trend: the rate in each patch, the difference and its p-value."""
    if before.rate is None or after.rate is None:
        return {
            "from": _rounded(before.rate),
            "to": _rounded(after.rate),
            "delta": None,
            "p_value": None,
        }
    p_value = two_proportion_p_value(after.wins, after.games, before.wins, before.games)
    return {
        "from": _rounded(before.rate),
        "to": _rounded(after.rate),
        "delta": _rounded(after.rate - before.rate),
        "p_value": float(f"{p_value:.{P_VALUE_DIGITS}g}"),
    }


def trend(before: Tally, after: Tally, *, from_patch: str, to_patch: str) -> dict[str, Any]:
    """How every race and matchup moved from ``from_patch`` to ``to_patch``."""
    return {
        "from_patch": from_patch,
        "to_patch": to_patch,
        "races": {race: _change(before.races[race], after.races[race]) for race in RACES},
        "matchups": {m: _change(before.matchups[m], after.matchups[m]) for m in MATCHUPS},
    }


def build_answer(query: ResolvedQuery, current: Tally, compared: Tally | None) -> dict[str, Any]:
    """The DataPart of an answer (schema ``agentbus.data.winrates/v1``).

    ``compared`` is the tally of ``query.compare_patch`` with the same filters; the
    trend is None only when there is no patch to compare with.
    """
    changes = None
    if compared is not None and query.compare_patch is not None:
        changes = trend(compared, current, from_patch=query.compare_patch, to_patch=query.patch)
    return {
        "schema": SCHEMA,
        "query": query.as_dict(),
        "patch": query.patch,
        "filters": {"map": query.map, "bracket": query.bracket},
        "races": {race: current.races[race].summary() for race in RACES},
        "matchups": {m: current.matchups[m].summary() for m in MATCHUPS},
        "trend": changes,
        "total_games": current.games,
        "mirror_games": current.mirror_games,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, RATE_DIGITS)
