"""Agent cards list the interfaces served, the deployment's transport first."""

from agentbus import build_agent_card, load_settings


def test_a_kafka_deployment_lists_kafka_first_then_http() -> None:
    """A Kafka agent that also serves HTTP lists both, KAFKA naming its request topic first."""
    settings = load_settings(transport="kafka", ops={"port": 8101})

    card = build_agent_card(
        settings,
        name="data",
        description="d",
        version="1",
        skills=[],
        serve_kafka=True,
        serve_http=True,
    )

    bindings = [(i.protocol_binding, i.url) for i in card.supported_interfaces]
    assert bindings == [
        ("KAFKA", "kafka:agent.data.requests"),
        ("JSONRPC", "http://127.0.0.1:8101/"),
    ]


def test_an_agent_without_an_http_port_lists_only_kafka() -> None:
    """With A2A over HTTP switched off, the card offers Kafka only."""
    settings = load_settings(transport="kafka")

    card = build_agent_card(
        settings,
        name="cs",
        description="c",
        version="1",
        skills=[],
        serve_kafka=True,
        serve_http=False,
    )

    assert [i.protocol_binding for i in card.supported_interfaces] == ["KAFKA"]
