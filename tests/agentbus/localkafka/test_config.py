from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentbus.localkafka.config import (
    Listener,
    listener_settings,
    new_cluster_id,
    render_log4j2,
    render_properties,
    render_server_properties,
)
from agentbus.localkafka.jars import render_pom
from agentbus.localkafka.toolchain import parse_java_major
from agentbus.versions import KAFKA_VERSION, SCALA_BINARY_VERSION


def parse(text: str) -> dict[str, str]:
    """Read the simple ``key=value`` lines the renderers write (no escapes needed here)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if not line.startswith("#"))
    return dict(pairs)


def render(**overrides: str) -> dict[str, str]:
    return parse(
        render_server_properties(
            log_dir=Path("/data/storage"),
            broker=[Listener("PLAINTEXT", 9092)],
            controller=Listener("CONTROLLER", 9093),
            overrides=overrides,
        )
    )


def test_server_properties_describe_a_single_combined_node() -> None:
    """The broker is one KRaft node that is both broker and controller, on loopback."""
    settings = render()

    assert settings["process.roles"] == "broker,controller"
    assert settings["node.id"] == "1"
    assert settings["log.dirs"] == "/data/storage"
    assert settings["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert settings["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092"
    assert settings["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert settings["controller.listener.names"] == "CONTROLLER"


def test_server_properties_are_tuned_for_fast_tests() -> None:
    """Defaults make groups join at once, topics explicit and internal topics small."""
    settings = render()

    assert settings["auto.create.topics.enable"] == "false"
    assert settings["group.initial.rebalance.delay.ms"] == "0"
    assert settings["offsets.topic.replication.factor"] == "1"
    assert settings["offsets.topic.num.partitions"] == "5"
    assert settings["transaction.state.log.replication.factor"] == "1"
    assert settings["transaction.state.log.min.isr"] == "1"
    assert settings["share.coordinator.state.topic.replication.factor"] == "1"
    assert settings["share.coordinator.state.topic.min.isr"] == "1"
    assert settings["num.partitions"] == "1"


def test_overrides_win_over_defaults_and_appear_once() -> None:
    """A caller's setting replaces the default and a new key is added."""
    text = render_server_properties(
        log_dir=Path("/d"),
        broker=[Listener("PLAINTEXT", 1)],
        controller=Listener("CONTROLLER", 2),
        overrides={"num.partitions": "3", "log.retention.ms": "1000"},
    )

    settings = parse(text)

    assert settings["num.partitions"] == "3"
    assert settings["log.retention.ms"] == "1000"
    assert len(re.findall(r"^num\.partitions=", text, flags=re.MULTILINE)) == 1


def test_a_second_listener_joins_the_listener_and_protocol_maps() -> None:
    """Adding a listener (as a later SASL_SSL one will be) extends every listener setting."""
    settings = listener_settings(
        [Listener("PLAINTEXT", 9092), Listener("SASL_SSL", 9094, protocol="SASL_SSL")],
        Listener("CONTROLLER", 9093),
    )

    assert settings["advertised.listeners"] == (
        "PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094"
    )
    assert settings["listener.security.protocol.map"] == (
        "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT"
    )
    assert settings["inter.broker.listener.name"] == "PLAINTEXT"


@pytest.mark.parametrize(
    ("broker", "message"),
    [([], "at least one client listener"), ([Listener("CONTROLLER", 1)], "unique")],
)
def test_invalid_listener_sets_are_refused(broker: list[Listener], message: str) -> None:
    """No client listener, or two listeners with one name, is a ValueError saying so."""
    with pytest.raises(ValueError, match=message):
        listener_settings(broker, Listener("CONTROLLER", 2))


def test_properties_escape_what_java_would_misread() -> None:
    """Backslashes, non-ASCII text, separators in keys and leading blanks survive Java's reader."""
    text = render_properties([("a=b", "C:\\dir"), ("path", "/data/café"), ("pad", " x")])

    assert text.splitlines() == ["a\\=b=C:\\\\dir", "path=/data/caf\\u00e9", "pad=\\ x"]


def test_log4j2_writes_to_the_given_file_and_quiets_noisy_loggers() -> None:
    """Everything goes to server.log at INFO, except chatty loggers at WARN."""
    settings = parse(render_log4j2(Path("/data/server.log"), noisy=["state.change.logger"]))

    assert settings["appender.file.fileName"] == "/data/server.log"
    assert settings["rootLogger.level"] == "INFO"
    assert settings["logger.quiet0.name"] == "state.change.logger"
    assert settings["logger.quiet0.level"] == "WARN"


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('java version "1.8.0_292"\nJava(TM) SE Runtime Environment', 8),
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "23-ea" 2024-09-17', 23),
        ('Picked up JAVA_TOOL_OPTIONS: -Xss1m\nopenjdk version "11.0.2"', 11),
        ("bash: java: command not found", None),
    ],
)
def test_java_version_output_gives_the_feature_release(output: str, major: int | None) -> None:
    """Both the old 1.x scheme and the modern scheme give the feature release."""
    assert parse_java_major(output) == major


def test_pom_pins_the_kafka_version_from_agentbus_versions() -> None:
    """The pom asks Maven for the kafka_<scala> server of the project's pinned release."""
    pom = render_pom()

    assert f"<artifactId>kafka_{SCALA_BINARY_VERSION}</artifactId>" in pom
    assert f"<version>{KAFKA_VERSION}</version>" in pom
    assert "<artifactId>log4j-slf4j-impl</artifactId>" in pom


def test_cluster_ids_look_like_kafka_uuids() -> None:
    """A cluster id is 22 URL-safe base64 characters, new on every call."""
    ids = {new_cluster_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", cluster_id) for cluster_id in ids)
