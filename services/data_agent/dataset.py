"""The match database: a SQLite file generated deterministically from a seed.

``MatchDatabase.open(path, seed=..., matches=...)`` reuses the file when its meta
table records the same seed, match count and generator version, and otherwise
generates it into a temporary file in the same folder and renames it into place,
so a half-written database is never read. ``game_counts`` answers the one
question the statistics need: how many games each race pairing had, by winner.

Generation draws every value from ``random.Random(seed)`` through ``random()``
only, so the same seed gives the same rows on every machine and Python version.
Each game's winner is drawn with its true probability (the balance story, the
bracket's amplification, the map's effect), nudged by ``WINNER_PULL`` times how
far the wins of its cell (patch, matchup, bracket, map) have drifted from
expectation. Games stay random one by one, but every slice's sample rate lands
within a game or two of the story whatever the seed, so answers tell the same
story on every seed; the reported Wilson intervals are therefore conservative.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import math
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Final

from data_agent.domain import (
    BRACKET_MULTIPLIER,
    BRACKET_WEIGHTS,
    BRACKETS,
    MAP_EFFECTS,
    MAPS,
    MATCHUP_RACES,
    PATCH_DATES,
    RACES,
    STORY,
    GameCount,
    matchup_of,
)

__all__ = ["GENERATOR_VERSION", "MatchDatabase", "generate_rows"]

GENERATOR_VERSION: Final = "1"
WEEKEND_VOLUME: Final = 1.25  # more games are played on Saturdays and Sundays
WINNER_PULL: Final = 0.1  # per game of drift; keeps each cell's wins near expectation
DURATION_MEDIAN_S: Final = 660.0
DURATION_SIGMA: Final = 0.38
DURATION_RANGE_S: Final = (240, 1800)

_SCHEMA: Final = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE matches (
        id INTEGER PRIMARY KEY,
        played_on TEXT NOT NULL,
        patch TEXT NOT NULL,
        map TEXT NOT NULL,
        race_a TEXT NOT NULL,
        race_b TEXT NOT NULL,
        bracket TEXT NOT NULL,
        winner TEXT NOT NULL,
        duration_s INTEGER NOT NULL
    )""",
)
# Every query filters on patch, optionally on map and/or bracket; both indexes cover the
# counted columns, so a count never reads the table itself.
_INDEXES: Final = (
    (
        "CREATE INDEX ix_matches_patch_bracket_map"
        " ON matches (patch, bracket, map, race_a, race_b, winner)"
    ),
    "CREATE INDEX ix_matches_patch_map ON matches (patch, map, race_a, race_b, winner)",
)
_INSERT: Final = (
    "INSERT INTO matches (id, played_on, patch, map, race_a, race_b, bracket, winner, duration_s)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_Row = tuple[int, str, str, str, str, str, str, str, int]


def _days() -> list[tuple[dt.date, str]]:
    """Every day of every patch, in order, with its patch."""
    days = []
    for patch, (first, last) in PATCH_DATES.items():
        day = first
        while day <= last:
            days.append((day, patch))
            day += dt.timedelta(days=1)
    return days


def _games_per_day(days: list[tuple[dt.date, str]], total: int) -> list[int]:
    """Split ``total`` games over ``days`` by volume (largest remainder, sums exactly)."""
    weights = [WEEKEND_VOLUME if day.weekday() >= 5 else 1.0 for day, _ in days]  # noqa: PLR2004 - Sat/Sun
    shares = [total * w / sum(weights) for w in weights]
    counts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(days)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _duration(rng: random.Random) -> int:
    """A game length in seconds: log-normal around 11 minutes, within DURATION_RANGE_S."""
    low, high = DURATION_RANGE_S
    while True:
        # Box-Muller from two uniforms, so only rng.random() is ever used.
        normal = math.sqrt(-2.0 * math.log(1.0 - rng.random())) * math.cos(
            2.0 * math.pi * rng.random()
        )
        seconds = round(DURATION_MEDIAN_S * math.exp(DURATION_SIGMA * normal))
        if low <= seconds <= high:
            return seconds


def generate_rows(seed: int, matches: int) -> Iterator[_Row]:
    """The match rows for ``seed``: ``matches`` games from the first patch day to the last."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    brackets_cum = list(accumulate(BRACKET_WEIGHTS[b] for b in BRACKETS))
    bracket_total = brackets_cum[-1]
    days = _days()
    drift: dict[tuple[str, str, str, str], float] = {}  # wins minus expected wins, per cell
    match_id = 0
    for (day, patch), count in zip(days, _games_per_day(days, matches), strict=True):
        played_on = day.isoformat()
        story = STORY[patch]
        for _ in range(count):
            match_id += 1
            race_a = RACES[int(rng.random() * len(RACES))]
            race_b = RACES[int(rng.random() * len(RACES))]
            bracket = BRACKETS[bisect.bisect_right(brackets_cum, rng.random() * bracket_total)]
            game_map = MAPS[int(rng.random() * len(MAPS))]
            matchup = matchup_of(race_a, race_b)
            if matchup is None:
                winner = race_a
                rng.random()  # keep the draw count per row fixed
            else:
                first, second = MATCHUP_RACES[matchup]
                p_first = (
                    0.5
                    + (story[matchup] - 0.5) * BRACKET_MULTIPLIER[bracket]
                    + MAP_EFFECTS[game_map][matchup]
                )
                cell = (patch, matchup, bracket, game_map)
                behind = drift.get(cell, 0.0)
                first_wins = rng.random() < p_first - WINNER_PULL * behind
                drift[cell] = behind + first_wins - p_first
                winner = first if first_wins else second
            duration = _duration(rng)
            yield (
                match_id,
                played_on,
                patch,
                game_map,
                race_a,
                race_b,
                bracket,
                winner,
                duration,
            )


def _build(path: Path, seed: int, matches: int) -> None:
    """Generate the database into a temp file next to ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with contextlib.closing(sqlite3.connect(tmp)) as db:
            db.execute("PRAGMA journal_mode = OFF")  # a temp file: atomicity comes from rename
            db.execute("PRAGMA synchronous = OFF")
            with db:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.executemany(_INSERT, generate_rows(seed, matches))
                for statement in _INDEXES:
                    db.execute(statement)
                db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    _meta(seed, matches).items(),
                )
            db.execute("ANALYZE")
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        tmp.chmod(0o644)  # mkstemp makes it private; the data is not secret
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _meta(seed: int, matches: int) -> dict[str, str]:
    return {"seed": str(seed), "matches": str(matches), "generator_version": GENERATOR_VERSION}


def _stored_meta(path: Path) -> dict[str, str] | None:
    """The meta table of the file at ``path``; None when missing or not a usable database."""
    if not path.is_file():
        return None
    try:
        with contextlib.closing(_connect_ro(path)) as db:
            return dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        return None


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


@dataclass(frozen=True)
class MatchDatabase:
    """A ready match database file; every query opens its own read-only connection.

    A connection per query keeps the object safe to use from worker threads
    (``asyncio.to_thread``); opening a SQLite file costs well under a millisecond.
    """

    path: Path
    seed: int
    matches: int
    generated_in_s: float | None
    """Seconds the generation took, or None when an existing file was reused."""
    _counts: dict[tuple[str, str | None, str | None], tuple[GameCount, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Slices already counted (the file never changes while it is open)."""

    @classmethod
    def open(cls, path: Path, *, seed: int, matches: int) -> MatchDatabase:
        """The database at ``path``, generated first if missing or made from other settings."""
        if _stored_meta(path) == _meta(seed, matches):
            return cls(path=path, seed=seed, matches=matches, generated_in_s=None)
        started = time.perf_counter()
        _build(path, seed, matches)
        took = time.perf_counter() - started
        return cls(path=path, seed=seed, matches=matches, generated_in_s=took)

    def game_counts(
        self, patch: str, *, map_name: str | None = None, bracket: str | None = None
    ) -> list[GameCount]:
        """Games per (race_a, race_b, winner) in ``patch``, optionally on one map and bracket.

        The file never changes while it is open, so each slice is counted once and then
        served from memory (a few hundred slices at most): answers take microseconds,
        not the ~15 ms of a count over the table.
        """
        key = (patch, map_name, bracket)
        cached = self._counts.get(key)
        if cached is not None:
            return list(cached)
        counts = self._count(patch, map_name=map_name, bracket=bracket)
        self._counts[key] = tuple(counts)
        return counts

    def _count(self, patch: str, *, map_name: str | None, bracket: str | None) -> list[GameCount]:
        # Column names come from this fixed list; every value is a bound parameter.
        filters = [("patch", patch), ("map", map_name), ("bracket", bracket)]
        used = [(column, value) for column, value in filters if value is not None]
        where = " AND ".join(f"{column} = ?" for column, _ in used)
        sql = (
            "SELECT race_a, race_b, winner, COUNT(*) FROM matches"  # noqa: S608 - see above
            f" WHERE {where} GROUP BY race_a, race_b, winner ORDER BY race_a, race_b, winner"
        )
        with contextlib.closing(_connect_ro(self.path)) as db:
            rows = db.execute(sql, [value for _, value in used]).fetchall()
        return [GameCount(*row) for row in rows]

    def row_count(self) -> int:
        """How many matches the file holds."""
        with contextlib.closing(_connect_ro(self.path)) as db:
            (count,) = db.execute("SELECT COUNT(*) FROM matches").fetchone()
        return int(count)
