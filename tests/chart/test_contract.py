"""The Helm chart against the code it deploys.

Topic names, configs, consumer groups, ACLs and the Kafka version come from ``agentbus``
itself (``names``, ``provisioning``, ``acls``, ``versions``, the agents' settings
classes), never from a copy of them here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from agentbus.acls import AclBinding, PatternType, agent_acls, caller_acls
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
SCATTERS: dict[str, Callable[[Any], bool]] = {"balance": lambda s: s.fanout == "scatter"}
"""Kinds whose program scatters (agentbus.scatter), given its settings; the scatter is
published on agent.broadcast when ``AGENTBUS_CALLS__BROADCAST`` is on as well."""
CALLER = "cli"
"""The pure caller the chart adds with cli.enabled: the ``agentbus`` command line."""
STRIMZI = "kafka.strimzi.io/v1"
STRIMZI_PATTERN = {PatternType.LITERAL: "literal", PatternType.PREFIXED: "prefix"}
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


def merged_values(*files: Path) -> dict[str, Any]:
    """values.yaml with ``files`` over it as helm merges them (maps key by key)."""

    def merge(dst: dict[str, Any], src: dict[str, Any]) -> None:
        for key, value in src.items():
            if isinstance(value, dict) and isinstance(dst.get(key), dict):
                merge(dst[key], value)
            else:
                dst[key] = value

    values = chart_values()
    for file in files:
        merge(values, yaml.safe_load(file.read_text(encoding="utf-8")) or {})
    return values


def strimzi_acls(bindings: list[AclBinding]) -> list[Object]:
    """``bindings`` as ``KafkaUser.spec.authorization.acls``: one entry per resource."""
    operations: dict[tuple[str, str, str], list[str]] = {}
    for b in bindings:
        resource = (b.resource_type.name.lower(), b.resource_name, STRIMZI_PATTERN[b.pattern_type])
        camel = "".join(word.capitalize() for word in b.operation.name.split("_"))
        operations.setdefault(resource, []).append(camel)
    return [
        {
            "type": "allow",
            "resource": {"type": kind, "name": name, "patternType": pattern},
            "operations": sorted(ops),
            "host": "*",
        }
        for (kind, name, pattern), ops in sorted(operations.items())
    ]


def by_resource(acls: list[Object]) -> list[Object]:
    return sorted(acls, key=lambda a: (a["resource"]["type"], a["resource"]["name"]))


def expected_users(
    values: dict[str, Any], names: TopicNames, fullname: str
) -> dict[str, list[Object]]:
    """KafkaUser name -> ACLs, from agentbus.acls and the agents' calls and broadcasts."""
    defaults = values["agentDefaults"]
    agents = {
        name: {**defaults, **(own or {})}
        for name, own in values["agents"].items()
        if {**defaults, **(own or {})}["enabled"]
    }
    calls = {name: agent["calls"] for name, agent in agents.items()}
    if values["cli"]["enabled"]:
        calls[CALLER] = values["cli"]["calls"]
    users = {}
    for name, targets in calls.items():
        principal = f"User:{fullname}-{name}"
        if name in agents:
            bindings = agent_acls(
                name,
                calls=targets,
                called_by=[caller for caller, called in calls.items() if name in called],
                broadcasts=agents[name]["broadcasts"],
                names=names,
                principal=principal,
            )
        else:
            bindings = caller_acls(name, calls=targets, names=names, principal=principal)
        assert {b.principal for b in bindings} == {principal}
        users[principal.removeprefix("User:")] = strimzi_acls(bindings)
    return users


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


CUSTOM_VALUES: dict[str, Any] = {
    "fullnameOverride": "team",
    "topics": {"prefix": "prod."},
    "agents": {
        "balance": {"broadcasts": False},
        "cs": {"enabled": False},
        "audit": {
            "kind": "data",
            "calls": ["audit", "cs"],
            "broadcasts": True,
            "image": {"repository": "agentbus/data-agent"},
        },
    },
    "cli": {"calls": ["audit"]},
}
"""A prefix, another base name, a disabled agent, a second broadcaster that calls itself."""


Scenario = tuple[list[str], dict[str, Any] | None, str]
"""Values files, extra values (or None) and the release's full name."""


@pytest.mark.parametrize(
    "scenario",
    [
        (["values-kind.yaml"], None, "agentbus"),
        ([], None, "agentbus"),
        (["values-kind.yaml"], CUSTOM_VALUES, "team"),
    ],
    ids=["kind", "default", "prefix-and-custom-agents"],
)
def test_kafka_users_have_exactly_the_acls_agentbus_computes(
    render: Render, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, scenario: Scenario
) -> None:
    """Each KafkaUser's ACLs are agent_acls (an agent) or caller_acls (cli), in Strimzi's form."""
    files, extra, fullname = scenario
    if extra is not None:
        (tmp_path / "extra.yaml").write_text(yaml.safe_dump(extra), encoding="utf-8")
        files = [*files, str(tmp_path / "extra.yaml")]
    objects = render(*files)
    values = merged_values(*(CHART / f for f in files))
    deployments = of_kind(objects, "Deployment")
    names = settings_from(env_of(deployments[0]), monkeypatch).topics.names

    users = {u["metadata"]["name"]: u for u in of_kind(objects, "KafkaUser")}
    expected = expected_users(values, names, fullname)

    assert set(users) == set(expected)
    for name, acls in expected.items():
        rendered = users[name]["spec"]["authorization"]["acls"]
        assert by_resource(rendered) == acls, name
        resources = [(a["resource"]["type"], a["resource"]["name"]) for a in rendered]
        assert len(resources) == len(set(resources)), name
    logins = {env_of(d)["AGENTBUS_KAFKA__SECURITY__USERNAME"] for d in deployments}
    assert logins == set(users)


def test_no_kafka_user_may_read_what_is_addressed_to_another(kind_objects: list[Object]) -> None:
    """No user may read another agent's requests topic or inbox, or join another's group."""
    users = {
        u["metadata"]["name"].removeprefix("agentbus-"): u
        for u in of_kind(kind_objects, "KafkaUser")
    }
    names = TopicNames()

    for name, user in users.items():
        reads = {
            (a["resource"]["type"], a["resource"]["name"])
            for a in user["spec"]["authorization"]["acls"]
            if "Read" in a["operations"] or "All" in a["operations"]
        }
        groups = {
            a["resource"]["name"]
            for a in user["spec"]["authorization"]["acls"]
            if a["resource"]["type"] == "group"
        }
        for other in set(users) - {name}:
            assert ("topic", names.requests(other)) not in reads, name
            assert ("topic", names.responses(other)) not in reads, name
            assert other not in groups, name


@pytest.mark.parametrize("balance_broadcasts", [True, False], ids=["broadcasts", "does-not"])
def test_only_agents_whose_program_scatters_may_write_the_broadcast_topic(
    render: Render, monkeypatch: pytest.MonkeyPatch, balance_broadcasts: bool
) -> None:
    """agents.<name>.broadcasts is true exactly for the agents that publish on agent.broadcast."""
    values = chart_values()
    values["agents"]["balance"]["broadcasts"] = balance_broadcasts
    objects = render(agents__balance__broadcasts=str(balance_broadcasts).lower())
    deployments = {d["metadata"]["name"]: d for d in of_kind(objects, "Deployment")}

    for name, own in values["agents"].items():
        agent = {**values["agentDefaults"], **(own or {})}
        kind = agent["kind"] or name
        bus = settings_from(env_of(deployments[f"{name}-agent"]), monkeypatch)
        program = SCATTERS.get(kind, lambda _: False)(SETTINGS_OF_KIND[kind]())
        scatters = program and bus.calls.broadcast
        assert agent["broadcasts"] is scatters, name


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
