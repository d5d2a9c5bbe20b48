"""Fixtures for cs agent tests.

* ``tickets`` (session): the default dataset (seed 20261203, 12,000 tickets), generated once.
* ``by_patch`` (session): those tickets with topic and sentiment read, grouped by patch.
* ``executor``: the cs agent's executor over those tickets.
"""

from __future__ import annotations

import pytest

from cs_agent.dataset import Ticket, generate_tickets
from cs_agent.executor import CsExecutor
from cs_agent.logic import Scored, group_by_patch, score_tickets
from cs_agent.settings import CsSettings

SEED = CsSettings().seed


@pytest.fixture(scope="session")
def tickets() -> list[Ticket]:
    return generate_tickets(SEED, CsSettings().tickets)


@pytest.fixture(scope="session")
def by_patch(tickets: list[Ticket]) -> dict[str, list[Scored]]:
    return group_by_patch(score_tickets(tickets))


@pytest.fixture(scope="session")
def executor(tickets: list[Ticket]) -> CsExecutor:
    return CsExecutor(tickets)
