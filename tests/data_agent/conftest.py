"""Fixtures for data agent tests.

* ``database`` (session): one match database of the minimum size (100,000 matches)
  from the default seed, generated once into a session temp dir.
* ``executor``: the data agent's executor over that database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from data_agent.dataset import MatchDatabase
from data_agent.executor import DataExecutor
from data_agent.settings import MIN_MATCHES, DataSettings

SEED = DataSettings().seed


@pytest.fixture(scope="session")
def database_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def database(database_dir: Path) -> MatchDatabase:
    return MatchDatabase.open(database_dir / "matches.sqlite", seed=SEED, matches=MIN_MATCHES)


@pytest.fixture
def executor(database: MatchDatabase) -> DataExecutor:
    return DataExecutor(database)
