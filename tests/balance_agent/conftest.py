"""Fixtures for balance agent tests.

* ``database`` (session): the data agent's match database as ``tests/data_agent``
  makes it (minimum size, default seed), for the data agent the balance agent asks.
"""

from __future__ import annotations

from tests.data_agent.conftest import database, database_dir

__all__ = ["database", "database_dir"]
