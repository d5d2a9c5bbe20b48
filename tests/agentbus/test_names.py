"""Topic and agent names are defined once and validated."""

import pytest

from agentbus import TopicNames
from agentbus.names import validate_agent_name


def test_topic_names_follow_the_design_table() -> None:
    """Every topic name matches DESIGN.md, with an optional prefix."""
    plain, prefixed = TopicNames(), TopicNames("prod.")

    assert plain.requests("data") == "agent.data.requests"
    assert plain.responses("balance") == "agent.balance.responses"
    assert plain.dlq("cs") == "agent.cs.dlq"
    assert (plain.broadcast, plain.registry, plain.tasks) == (
        "agent.broadcast",
        "agent.registry",
        "agent.tasks",
    )
    assert prefixed.requests("data") == "prod.agent.data.requests"


def test_agent_names_are_recovered_from_topics() -> None:
    """The agent of a request or response topic is read back; foreign topics give None."""
    names = TopicNames()

    assert names.agent_of_requests("agent.data.requests") == "data"
    assert names.agent_of_responses("agent.gateway.responses") == "gateway"
    assert names.agent_of_requests("agent.data.responses") is None
    assert names.agent_of_responses("__consumer_offsets") is None
    assert names.agent_of_responses("agent.Bad_Name.responses") is None


@pytest.mark.parametrize("name", ["data", "cs", "balance-2", "a"])
def test_valid_agent_names_pass(name: str) -> None:
    """DNS-label-like names are accepted."""
    assert validate_agent_name(name) == name


@pytest.mark.parametrize("name", ["", "Data", "da.ta", "-x", "x-", "a" * 41, "1abc", "da_ta"])
def test_invalid_agent_names_are_refused_with_the_rule(name: str) -> None:
    """Names that cannot be topic and Kubernetes names are refused, saying what is allowed."""
    with pytest.raises(ValueError, match="lowercase letters"):
        validate_agent_name(name)
