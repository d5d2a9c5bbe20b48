"""The Helm chart against the code it deploys.

Topic names, configs, consumer groups and the Kafka version come from ``agentbus``
itself (``names``, ``provisioning``, ``versions``, the agents' settings classes), never
from a copy of them here; the ACLs are checked against the rules of issue 5.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from agentbus.metrics import Metrics
from agentbus.names import TopicNames
from agentbus.provisioning import (
    TopicSpec,
    agent_topic_specs,
    caller_topic_specs,
    shared_topic_specs,
)
from agentbus.settings import AgentbusSettings
from agentbus.versions import KAFKA_VERSION, STRIMZI_VERSION
from balance_agent.settings import BalanceSettings
from cs_agent.settings import CsSettings
from data_agent.settings import DataSettings
from gateway.settings import GatewaySettings
from tests.chart.conftest import CHART, Render

SETTINGS_OF_KIND: dict[str, type[Any]] = {
    "data": DataSettings,
    "cs": CsSettings,
    "balance": BalanceSettings,
    "gateway": GatewaySettings,
}
STRIMZI = "kafka.strimzi.io/v1"
SECRETS = PurePosixPath("/etc/agentbus")
"""Where the chart mounts the Kafka CA and the user's password."""

Object = dict[str, Any]


def of_kind(objects: list[Object], kind: str) -> list[Object]:
    return [o for o in objects if o["kind"] == kind]


def env_of(deployment: Object) -> dict[str, str]:
    return {
        e["name"]: e["value"]
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }


def chart_values() -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    return values


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AgentbusSettings:
    """The settings a process started with ``env`` builds (credential files left out)."""
    for name, value in env.items():
        if name.startswith("AGENTBUS_") and not name.endswith("_FILE"):
            monkeypatch.setenv(name, value)
    if env.get("AGENTBUS_KAFKA__SECURITY__MODE") in {"tls", "scram"}:
        monkeypatch.setenv("AGENTBUS_KAFKA__SECURITY__MODE", "plaintext")
        monkeypatch.delenv("AGENTBUS_KAFKA__SECURITY__USERNAME", raising=False)
        monkeypatch.delenv("AGENTBUS_KAFKA__SECURITY__CHECK_HOSTNAME", raising=False)
    return AgentbusSettings()


def expected_topics(
    settings: AgentbusSettings, agents: list[str], callers: list[str]
) -> dict[str, TopicSpec]:
    specs = [s for a in agents for s in agent_topic_specs(settings, a)]
    specs += [s for c in callers for s in caller_topic_specs(settings, c)]
    specs += shared_topic_specs(settings)
    return {s.name: s for s in specs}


def acl_map(user: Object) -> dict[tuple[str, str], set[str]]:
    rules: dict[tuple[str, str], set[str]] = {}
    for acl in user["spec"]["authorization"]["acls"]:
        assert acl["type"] == "allow"
        assert acl["resource"]["patternType"] == "literal"
        key = (acl["resource"]["type"], acl["resource"]["name"])
        rules.setdefault(key, set()).update(acl["operations"])
    return rules


def expected_acls(
    agent: str, calls: dict[str, list[str]], names: TopicNames
) -> dict[tuple[str, str], set[str]]:
    """Issue 5's rules, written out independently of the chart's template."""
    rules: dict[tuple[str, str], set[str]] = {}

    def allow(resource: str, name: str, *operations: str) -> None:
        rules.setdefault((resource, name), set()).update(operations)

    if agent == "cli":
        allow("topic", names.responses("cli"), "Read", "Describe")
        allow("topic", names.registry, "Read", "Describe")
    else:
        allow("topic", names.requests(agent), "Read", "Describe")
        allow("topic", names.responses(agent), "Read", "Describe")
        allow("topic", names.broadcast, "Read", "Describe", "Write")
        allow("group", agent, "Read")
        allow("topic", names.dlq(agent), "Read", "Write", "Describe")
        allow("topic", names.registry, "Read", "Write", "Describe")
        allow("topic", names.tasks, "Read", "Write", "Describe")
        for caller, targets in calls.items():
            if agent in targets:
                allow("topic", names.responses(caller), "Write", "Describe")
    for target in calls[agent]:
        allow("topic", names.requests(target), "Write", "Describe")
    return rules


@pytest.fixture
def kind_objects(render: Render) -> list[Object]:
    return render("values-kind.yaml")


@pytest.fixture
def msk_objects(render: Render) -> list[Object]:
    return render("values-msk.yaml")


def test_one_deployment_per_agent_whose_process_uses_the_agent_name(
    render: Render, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each agent is a Deployment <agent>-agent whose process takes the agent name as its group."""
    agents = chart_values()["agents"]

    deployments = {d["metadata"]["name"]: d for d in of_kind(render(), "Deployment")}

    assert set(deployments) == {f"{name}-agent" for name in agents}
    for name in agents:
        env = env_of(deployments[f"{name}-agent"])
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert SETTINGS_OF_KIND[name]().name == name


def test_kafka_topics_are_exactly_the_ones_the_code_provisions(
    kind_objects: list[Object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """KafkaTopics carry the names, partitions, replicas and configs agentbus.provisioning makes."""
    values = yaml.safe_load((CHART / "values-kind.yaml").read_text(encoding="utf-8"))
    data = next(
        d for d in of_kind(kind_objects, "Deployment") if d["metadata"]["name"] == "data-agent"
    )
    settings = settings_from(env_of(data), monkeypatch)
    agents = sorted(chart_values()["agents"])
    callers = [*agents, "cli"] if values["cli"]["enabled"] else agents

    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(kind_objects, "KafkaTopic")}
    expected = expected_topics(settings, agents, callers)

    assert set(topics) == set(expected)
    for name, spec in expected.items():
        assert topics[name]["partitions"] == spec.partitions, name
        assert topics[name]["replicas"] == spec.replication_factor, name
        assert topics[name]["config"] == dict(spec.config), name
    names = settings.topics.names
    assert topics[names.registry]["config"]["cleanup.policy"] == "compact"
    assert topics[names.tasks]["config"]["cleanup.policy"] == "compact"
    assert "cleanup.policy" not in topics[names.requests("data")]["config"]


def test_kafka_users_may_do_only_what_their_agent_does(kind_objects: list[Object]) -> None:
    """Each KafkaUser may use its own topics and group, and those of its callees and callers."""
    values = chart_values()
    calls = {name: agent.get("calls", []) for name, agent in values["agents"].items()}
    calls["cli"] = values["cli"]["calls"]
    names = TopicNames()

    users = {u["metadata"]["name"]: u for u in of_kind(kind_objects, "KafkaUser")}

    assert set(users) == {f"agentbus-{name}" for name in calls}
    for name in calls:
        rules = acl_map(users[f"agentbus-{name}"])
        assert rules == expected_acls(name, calls, names), name
        for other in calls:
            if other != name:
                assert "Read" not in rules.get(("topic", names.requests(other)), set())
                assert ("group", other) not in rules


def test_agents_authenticate_as_their_strimzi_user(kind_objects: list[Object]) -> None:
    """With Strimzi every agent uses SCRAM over TLS, its KafkaUser's Secret and the cluster CA."""
    for deployment in of_kind(kind_objects, "Deployment"):
        env = env_of(deployment)
        if "AGENTBUS_TOPICS__PROVISION" not in env:
            continue  # the cli pod shares the settings; checked with the agents below
        pod = deployment["spec"]["template"]["spec"]
        secrets = {v["name"]: v["secret"] for v in pod["volumes"] if "secret" in v}

        assert env["AGENTBUS_KAFKA__SECURITY__MODE"] == "scram"
        assert env["AGENTBUS_TOPICS__PROVISION"] == "false"
        assert secrets["kafka-user"]["secretName"] == env["AGENTBUS_KAFKA__SECURITY__USERNAME"]
        assert secrets["kafka-user"]["items"] == [{"key": "password", "path": "password"}]
        assert secrets["kafka-ca"]["secretName"] == "agentbus-cluster-ca-cert"
        assert env["AGENTBUS_KAFKA__SECURITY__PASSWORD_FILE"] == str(
            SECRETS / "kafka-user/password"
        )
        assert env["AGENTBUS_KAFKA__SECURITY__CA_FILE"] == str(SECRETS / "kafka-ca/ca.crt")


def test_kind_values_render_the_strimzi_cluster(kind_objects: list[Object]) -> None:
    """values-kind.yaml renders Kafka, a node pool, a topic per topic and a user per agent."""
    agents = set(chart_values()["agents"])

    kafka = of_kind(kind_objects, "Kafka")
    pools = of_kind(kind_objects, "KafkaNodePool")
    users = {u["metadata"]["name"] for u in of_kind(kind_objects, "KafkaUser")}

    assert len(kafka) == 1
    assert len(pools) == 1
    assert pools[0]["spec"]["roles"] == ["controller", "broker"]
    assert len(of_kind(kind_objects, "KafkaTopic")) == 3 * len(agents) + 1 + 3  # + cli inbox
    assert {f"agentbus-{a}" for a in agents} <= users
    listener = kafka[0]["spec"]["kafka"]["listeners"][0]
    assert listener["tls"] is True
    assert listener["authentication"] == {"type": "scram-sha-512"}
    assert kafka[0]["spec"]["kafka"]["authorization"] == {"type": "simple"}


def test_kafka_version_is_the_one_the_code_pins(render: Render) -> None:
    """The Kafka resource runs agentbus.versions.KAFKA_VERSION, for Strimzi STRIMZI_VERSION."""
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))

    kafka = of_kind(render(), "Kafka")

    assert kafka[0]["spec"]["kafka"]["version"] == KAFKA_VERSION
    assert chart["annotations"]["agentbus.dev/strimzi-version"] == STRIMZI_VERSION


def test_msk_values_use_iam_and_render_no_strimzi_resource(
    msk_objects: list[Object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """values-msk.yaml renders no Strimzi resource; agents use MSK IAM with a region and IRSA."""
    accounts = of_kind(msk_objects, "ServiceAccount")
    deployments = of_kind(msk_objects, "Deployment")

    assert [o["kind"] for o in msk_objects if o["apiVersion"] == STRIMZI] == []
    assert len(deployments) == len(chart_values()["agents"])
    for account in accounts:
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith(
            "arn:aws:iam::"
        )
    for deployment in deployments:
        env = env_of(deployment)
        assert not any(v.get("secret") for v in deployment["spec"]["template"]["spec"]["volumes"])
        settings = settings_from(env, monkeypatch)
        assert settings.kafka.security.mode == "msk-iam"
        assert settings.kafka.security.aws_region == "eu-west-1"
        assert settings.kafka.bootstrap_servers.endswith(":9098")
        assert settings.topics.provision is True
        assert settings.topics.replication_factor == 3
        assert settings.topics.min_insync_replicas == 2


def test_keda_never_scales_past_the_request_partitions(render: Render) -> None:
    """Every ScaledObject watches its group's request topic and stops at its partition count."""
    values = yaml.safe_load((CHART / "ci" / "keda-values.yaml").read_text(encoding="utf-8"))
    partitions = values["topics"]["requestPartitions"]

    scaled = of_kind(render("ci/keda-values.yaml"), "ScaledObject")

    assert len(scaled) == len(chart_values()["agents"])
    for obj in scaled:
        agent = obj["spec"]["scaleTargetRef"]["name"].removesuffix("-agent")
        trigger = obj["spec"]["triggers"][0]
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == agent
        assert trigger["metadata"]["topic"] == TopicNames().requests(agent)
        assert obj["spec"]["maxReplicaCount"] <= partitions
    assert any(o["spec"]["maxReplicaCount"] == partitions for o in scaled)  # data was clamped


def test_dashboard_queries_only_metrics_the_code_exports() -> None:
    """The dashboard queries only metrics agentbus.metrics exports, the key ones included."""
    registry = CollectorRegistry()
    Metrics(registry)
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    exported = {
        family.name + suffix
        for family in registry.collect()
        for suffix in suffixes.get(family.type, [""])
    }
    dashboard = json.loads((CHART / "dashboards" / "agentbus.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]

    used = {m for e in exprs for m in re.findall(r"\bagentbus_[a-z_]+", e)}

    assert used <= exported
    assert {
        "agentbus_requests_total",
        "agentbus_request_duration_seconds_bucket",
        "agentbus_requests_in_flight",
        "agentbus_consumer_lag_records",
        "agentbus_dlq_records_total",
        "agentbus_retries_total",
        "agentbus_client_call_duration_seconds_bucket",
        "agentbus_task_store_write_seconds_bucket",
    } <= used


def _keys(lines: list[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(lines):
        match = re.match(r"^(\s*)(\"[^\"]+\"|[A-Za-z0-9_.\-]+):", line)
        if match and not line.lstrip().startswith("#"):
            yield number, match.group(2).strip('"')


def test_every_value_has_a_comment_starting_with_its_name() -> None:
    """Each key of values.yaml is preceded by a comment whose first word is the key's name."""
    lines = (CHART / "values.yaml").read_text(encoding="utf-8").splitlines()

    undocumented = []
    for number, key in _keys(lines):
        above = number - 1
        while above >= 0 and lines[above].lstrip().startswith("#") and above > 0:
            if not lines[above - 1].lstrip().startswith("#"):
                break
            above -= 1
        comment = lines[above].strip() if above >= 0 else ""
        if not comment.startswith(f"# {key}"):
            undocumented.append(f"line {number + 1}: {key}")

    assert undocumented == []


def test_values_schema_is_closed_everywhere() -> None:
    """Every object in values.schema.json is closed; only Kubernetes affinity terms pass through."""
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    open_objects: list[str] = []
    passed_through: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "additionalProperties" not in node:
                open_objects.append(path or "/")
            if node.get("additionalProperties") is True:
                passed_through.append(path)
            for key, child in node.items():
                walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}/{index}")

    walk(schema, "")

    assert open_objects == []
    assert sorted(passed_through) == sorted(
        f"/definitions/{definition}/properties/affinity/properties/{part}"
        for definition in ("agent", "agentDefaults")
        for part in ("nodeAffinity", "podAffinity", "podAntiAffinity")
    )
