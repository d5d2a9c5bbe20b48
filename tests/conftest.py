"""Fixtures shared by every test.

* ``clean_environ`` (autouse): each test starts with no ``AGENTBUS_*`` variable set,
  so settings come from what the test passes, never from the developer's shell.
* ``kafka`` (session): one real Apache Kafka broker started by
  :class:`agentbus.localkafka.LocalKafka` on free ports in a session temp dir.
  Tests that need a broker request it (or ``bootstrap_servers``); they are
  marked ``kafka`` automatically, so ``-m "not kafka"`` skips them.
* ``kafka_cache_dir`` (session): the jar cache, ``$AGENTBUS_KAFKA_CACHE`` as
  set when the session starts, else ``~/.cache/agentbus/kafka``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbus.localkafka import LocalKafka, default_cache_dir


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the session broker with ``kafka``."""
    for item in items:
        if "kafka" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AGENTBUS_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def kafka_cache_dir() -> Path:
    cache = os.environ.get("AGENTBUS_KAFKA_CACHE")
    return Path(cache) if cache else default_cache_dir()


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory, kafka_cache_dir: Path) -> Iterator[LocalKafka]:
    with LocalKafka(tmp_path_factory.mktemp("kafka"), cache_dir=kafka_cache_dir) as broker:
        yield broker


@pytest.fixture
def bootstrap_servers(kafka: LocalKafka) -> str:
    return kafka.bootstrap_servers
