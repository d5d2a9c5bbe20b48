"""The cs agent's settings, from arguments and from AGENTBUS_CS_* variables."""

import pytest
from pydantic import ValidationError

from cs_agent.settings import CsSettings


def test_defaults() -> None:
    """Name cs, the shared seed, 12,000 tickets, no simulated work."""
    settings = CsSettings()

    assert (settings.name, settings.seed, settings.tickets) == ("cs", 20261203, 12000)
    assert settings.simulated_work_s == 0


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """AGENTBUS_CS_* variables set the fields."""
    monkeypatch.setenv("AGENTBUS_CS_SEED", "7")
    monkeypatch.setenv("AGENTBUS_CS_TICKETS", "20000")
    monkeypatch.setenv("AGENTBUS_CS_SIMULATED_WORK_S", "1.5")

    settings = CsSettings()

    assert (settings.seed, settings.tickets, settings.simulated_work_s) == (7, 20000, 1.5)


def test_too_few_tickets_are_refused_with_what_to_set() -> None:
    """Fewer than 10,000 tickets name the variable and the minimum."""
    with pytest.raises(ValidationError, match=r"CS_TICKETS=500 is too few.*at least 10000"):
        CsSettings(tickets=500)


@pytest.mark.parametrize("value", [-1, 61])
def test_simulated_work_stays_within_a_minute(value: float) -> None:
    """Simulated work is 0-60 s."""
    with pytest.raises(ValidationError, match="simulated_work_s"):
        CsSettings(simulated_work_s=value)
