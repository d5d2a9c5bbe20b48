"""The match database: deterministic generation, reuse, the balance story, filters."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from data_agent import dataset
from data_agent.dataset import MatchDatabase
from data_agent.domain import BRACKETS, MAPS, PATCH_DATES, PATCHES, STORY
from data_agent.logic import tally, two_proportion_p_value, wilson_interval
from data_agent.settings import MIN_MATCHES
from tests.data_agent.conftest import SEED


def fingerprint(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT * FROM matches ORDER BY id").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def aggregates(db: MatchDatabase) -> dict[str, object]:
    return {patch: db.game_counts(patch) for patch in PATCHES}


@pytest.fixture(scope="session")
def twin(database_dir: Path) -> MatchDatabase:
    return MatchDatabase.open(database_dir / "twin.sqlite", seed=SEED, matches=MIN_MATCHES)


@pytest.fixture(scope="session")
def other_seed(database_dir: Path) -> MatchDatabase:
    return MatchDatabase.open(database_dir / "other.sqlite", seed=SEED + 1, matches=MIN_MATCHES)


def test_the_same_seed_gives_identical_data(database: MatchDatabase, twin: MatchDatabase) -> None:
    """Two databases generated from one seed hold the same rows and the same aggregates."""
    assert aggregates(database) == aggregates(twin)
    assert fingerprint(database.path) == fingerprint(twin.path)


def test_another_seed_gives_other_data(database: MatchDatabase, other_seed: MatchDatabase) -> None:
    """A different seed gives different aggregate numbers."""
    assert aggregates(database) != aggregates(other_seed)


def test_rows_are_plausible(database: MatchDatabase) -> None:
    """Dates fall in their patch, durations in 240-1800 s, every map and bracket is played."""
    with contextlib.closing(sqlite3.connect(database.path)) as db:
        spans = db.execute(
            "SELECT patch, MIN(played_on), MAX(played_on) FROM matches GROUP BY patch"
        ).fetchall()
        low, high, median = db.execute(
            "SELECT MIN(duration_s), MAX(duration_s),"
            " (SELECT duration_s FROM matches ORDER BY duration_s LIMIT 1 OFFSET ?)"
            " FROM matches",
            (MIN_MATCHES // 2,),
        ).fetchone()
        mirrors = db.execute("SELECT COUNT(*) FROM matches WHERE race_a = race_b").fetchone()[0]
        maps = {row[0] for row in db.execute("SELECT DISTINCT map FROM matches")}
        brackets = {row[0] for row in db.execute("SELECT DISTINCT bracket FROM matches")}

    assert database.row_count() == MIN_MATCHES
    for patch, first, last in spans:
        start, end = PATCH_DATES[patch]
        assert start <= dt.date.fromisoformat(first) <= dt.date.fromisoformat(last) <= end
    assert 240 <= low < high <= 1800
    assert 540 <= median <= 780
    assert 0.30 < mirrors / MIN_MATCHES < 0.37
    assert maps == set(MAPS)
    assert brackets == set(BRACKETS)


def test_every_patch_follows_the_balance_story(database: MatchDatabase) -> None:
    """Each matchup's win rate is within one point of the story's probability."""
    for patch in PATCHES:
        matchups = tally(database.game_counts(patch)).matchups

        for name, expected in STORY[patch].items():
            assert matchups[name].rate == pytest.approx(expected, abs=0.01), (patch, name)


def test_terran_is_significantly_strong_against_zerg_in_5_0_13(database: MatchDatabase) -> None:
    """TvZ in 5.0.13 is above 55% with the whole 95% interval."""
    tvz = tally(database.game_counts("5.0.13")).matchups["TvZ"]

    assert wilson_interval(tvz.wins, tvz.games)[0] > 0.55


def test_tvz_drops_significantly_in_5_0_14(database: MatchDatabase) -> None:
    """TvZ falls from 5.0.13 to 5.0.14 and the z-test gives p < 0.01."""
    before = tally(database.game_counts("5.0.13")).matchups["TvZ"]
    after = tally(database.game_counts("5.0.14")).matchups["TvZ"]

    assert after.rate is not None
    assert before.rate is not None
    assert after.rate < before.rate
    assert two_proportion_p_value(after.wins, after.games, before.wins, before.games) < 0.01


def test_higher_brackets_feel_the_imbalance_more(database: MatchDatabase) -> None:
    """TvZ in 5.0.13 is further from 50% in grandmaster than in bronze."""
    bronze = tally(database.game_counts("5.0.13", bracket="bronze")).matchups["TvZ"]
    grandmaster = tally(database.game_counts("5.0.13", bracket="grandmaster")).matchups["TvZ"]

    assert bronze.rate is not None
    assert grandmaster.rate is not None
    assert grandmaster.rate - 0.5 > 1.5 * (bronze.rate - 0.5) > 0


def test_filters_change_the_numbers(database: MatchDatabase) -> None:
    """A map, a bracket and both together each select fewer, different games."""
    whole = tally(database.game_counts("5.0.13"))
    on_map = tally(database.game_counts("5.0.13", map_name="Oceanborn LE"))
    in_bracket = tally(database.game_counts("5.0.13", bracket="diamond"))
    both = tally(database.game_counts("5.0.13", map_name="Oceanborn LE", bracket="diamond"))

    assert whole.games > on_map.games > both.games > 0
    assert whole.games > in_bracket.games > both.games
    assert len({whole.matchups["TvZ"], on_map.matchups["TvZ"], both.matchups["TvZ"]}) == 3


def test_an_unknown_filter_value_matches_nothing(database: MatchDatabase) -> None:
    """Values are bound parameters: a quote in a value matches no rows and breaks nothing."""
    assert database.game_counts("5.0.13'; DROP TABLE matches; --") == []
    assert database.row_count() == MIN_MATCHES


def test_an_existing_database_from_the_same_settings_is_reused(tmp_path: Path) -> None:
    """Opening again with the same seed and size reuses the file as it is."""
    path = tmp_path / "m.sqlite"
    MatchDatabase.open(path, seed=1, matches=500)
    before = path.stat().st_mtime_ns

    again = MatchDatabase.open(path, seed=1, matches=500)

    assert again.generated_in_s is None
    assert path.stat().st_mtime_ns == before


@pytest.mark.parametrize(("seed", "matches"), [(2, 500), (1, 600)])
def test_a_database_from_other_settings_is_regenerated(
    tmp_path: Path, seed: int, matches: int
) -> None:
    """Another seed or size in the meta table makes a new database."""
    path = tmp_path / "m.sqlite"
    MatchDatabase.open(path, seed=1, matches=500)

    again = MatchDatabase.open(path, seed=seed, matches=matches)

    assert again.generated_in_s is not None
    assert again.row_count() == matches
    assert fingerprint(path) != fingerprint_of(tmp_path, seed=1, matches=500)


def fingerprint_of(folder: Path, *, seed: int, matches: int) -> str:
    return fingerprint(MatchDatabase.open(folder / "ref.sqlite", seed=seed, matches=matches).path)


def test_a_file_that_is_not_a_database_is_replaced(tmp_path: Path) -> None:
    """A corrupt or foreign file at the path is regenerated, not read."""
    path = tmp_path / "m.sqlite"
    path.write_bytes(b"not a database")

    db = MatchDatabase.open(path, seed=1, matches=500)

    assert db.generated_in_s is not None
    assert db.row_count() == 500
    assert [p.name for p in tmp_path.iterdir()] == ["m.sqlite"]


def test_a_failed_generation_leaves_the_previous_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Generation writes a temp file and renames it, so a crash never leaves half a database."""
    path = tmp_path / "m.sqlite"
    MatchDatabase.open(path, seed=1, matches=500)
    before = fingerprint(path)
    rows = dataset.generate_rows

    def broken(seed: int, matches: int) -> Iterator[tuple[object, ...]]:
        yield from list(rows(seed, matches))[:10]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(dataset, "generate_rows", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        MatchDatabase.open(path, seed=2, matches=500)

    assert fingerprint(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.sqlite"]


def test_generation_makes_the_folder(tmp_path: Path) -> None:
    """A missing folder on the path is created."""
    path = tmp_path / "a" / "b" / "m.sqlite"

    MatchDatabase.open(path, seed=1, matches=100)

    assert path.is_file()
