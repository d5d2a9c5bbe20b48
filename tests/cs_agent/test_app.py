"""The agent spec: card details and an executor over freshly generated tickets."""

import logging

import pytest

from cs_agent.app import create_spec
from cs_agent.executor import CsExecutor
from cs_agent.settings import CsSettings


def test_the_spec_builds_an_executor_and_logs_the_generation_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Making the executor generates the tickets and logs how long that took."""
    spec = create_spec(CsSettings(name="cs-spec-test"))
    caplog.set_level(logging.INFO, logger="cs_agent.app")

    executor = spec.make_executor(None)  # type: ignore[arg-type]

    assert spec.name == "cs-spec-test"
    assert spec.skills[0].id == "feedback-analysis"
    assert isinstance(executor, CsExecutor)
    assert "generated 12000 tickets (seed 20261203) in" in caplog.text
