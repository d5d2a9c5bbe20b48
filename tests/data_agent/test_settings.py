"""Settings of the data agent."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from data_agent.settings import DataSettings


def test_defaults() -> None:
    """By default the agent is 'data' with 120,000 matches from the shared seed under .local."""
    settings = DataSettings()

    assert settings.name == "data"
    assert settings.matches == 120_000
    assert settings.seed == 20261203
    assert settings.db_path == Path(".local/data/matches.sqlite")
    assert settings.simulated_work_s == 0.0


def test_settings_come_from_agentbus_data_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """AGENTBUS_DATA_* variables set the fields."""
    monkeypatch.setenv("AGENTBUS_DATA_SEED", "7")
    monkeypatch.setenv("AGENTBUS_DATA_DB_PATH", str(tmp_path / "x.sqlite"))
    monkeypatch.setenv("AGENTBUS_DATA_SIMULATED_WORK_S", "1.5")

    settings = DataSettings()

    assert (settings.seed, settings.db_path, settings.simulated_work_s) == (
        7,
        tmp_path / "x.sqlite",
        1.5,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("matches", 99_999, "set at least 100000"),
        ("matches", 10**9, "set at most"),
        ("simulated_work_s", 61, "less than or equal to 60"),
        ("simulated_work_s", -1, "greater than or equal to 0"),
    ],
)
def test_unsafe_values_are_refused_with_what_to_set(field: str, value: float, message: str) -> None:
    """Too few matches, too many, or a negative or long simulated delay are refused."""
    with pytest.raises(ValidationError, match=message):
        DataSettings.model_validate({field: value})
