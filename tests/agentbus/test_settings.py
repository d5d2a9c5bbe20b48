"""Settings come from AGENTBUS_* variables and refuse unsafe values clearly."""

import pytest

from agentbus import ConfigurationError, load_settings


def test_defaults_describe_a_local_kafka_deployment() -> None:
    """Without variables the deployment uses Kafka on loopback."""
    settings = load_settings()

    assert settings.transport == "kafka"
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"


def test_nested_values_come_from_double_underscore_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AGENTBUS_<SECTION>__<FIELD> sets nested values, including the HTTP name map."""
    monkeypatch.setenv("AGENTBUS_TRANSPORT", "http")
    monkeypatch.setenv("AGENTBUS_KAFKA__BOOTSTRAP_SERVERS", "b1:9092, b2:9092")
    monkeypatch.setenv("AGENTBUS_HTTP__AGENTS", '{"data": "http://data-agent:8080"}')

    settings = load_settings()

    assert settings.transport == "http"
    assert settings.kafka.bootstrap_servers == "b1:9092,b2:9092"
    assert str(settings.http.agents["data"]) == "http://data-agent:8080/"


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("AGENTBUS_TRANSPORT", "carrier-pigeon", "transport"),
        ("AGENTBUS_KAFKA__BOOTSTRAP_SERVERS", "no-port-here", "host:port"),
        ("AGENTBUS_TOPICS__MIN_INSYNC_REPLICAS", "3", "REPLICATION_FACTOR"),
        ("AGENTBUS_HTTP__AGENTS", '{"Bad_Name": "http://x"}', "invalid agent name"),
        ("AGENTBUS_KAFKA__MAX_REQUEST_BYTES", "999999999", "max_request_bytes"),
    ],
)
def test_bad_values_are_refused_with_what_to_set(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, hint: str
) -> None:
    """Each invalid value raises ConfigurationError that names the problem."""
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigurationError, match=hint):
        load_settings()
