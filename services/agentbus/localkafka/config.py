"""Pure rendering of the broker's ``server.properties`` and ``log4j2.properties``.

Nothing here reads the environment, the disk or the network: the launcher
decides paths and ports, these functions turn them into file contents, and the
unit tests check the text directly.

Listeners and their security settings are built in one function,
:func:`listener_settings`: plaintext by default, or, given a
:class:`BrokerSecurity`, a SASL_SSL client listener (SCRAM-SHA-512) that also
carries inter-broker traffic, a SASL_PLAINTEXT controller listener (PLAIN, one
internal user) and, optionally, the ACL authorizer.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "CONTROLLER_USER",
    "FAST_TEST_DEFAULTS",
    "NOISY_LOGGERS",
    "BrokerSecurity",
    "Listener",
    "listener_settings",
    "new_cluster_id",
    "render_log4j2",
    "render_properties",
    "render_server_properties",
]

FAST_TEST_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # agentbus provisions its topics itself and must fail fast on unknown ones.
        "auto.create.topics.enable": "false",
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.replication.factor": "1",
        # Few partitions make the first consumer group come up quickly.
        "offsets.topic.num.partitions": "5",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "5",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "share.coordinator.state.topic.num.partitions": "5",
        # After a crash the restarted node may only re-register once its previous
        # session expired (default 9 s); short sessions make chaos tests recover fast.
        "broker.session.timeout.ms": "4000",
        "broker.heartbeat.interval.ms": "500",
    }
)
"""Single-node settings that keep startup and group joins fast; callers may override any."""

NOISY_LOGGERS: tuple[str, ...] = (
    "kafka.request.logger",
    "state.change.logger",
    "kafka.cluster",
    "kafka.log",
    "org.apache.kafka.controller",
    "org.apache.kafka.coordinator",
    "org.apache.kafka.storage.internals.log",
    "org.apache.kafka.common.config",
    "org.apache.kafka.image.loader",
)
"""Loggers that write a line per partition or event at INFO; they log at WARN."""


@dataclass(frozen=True)
class Listener:
    """One Kafka listener: its name, where it binds and its security protocol.

    Attributes:
        name: Listener name as Kafka knows it, e.g. ``PLAINTEXT`` or ``CONTROLLER``.
        port: TCP port to bind.
        host: Address to bind and to advertise to clients.
        protocol: Kafka security protocol: ``PLAINTEXT``, or ``SASL_SSL`` (clients) and
            ``SASL_PLAINTEXT`` (controller) of a secure broker.
    """

    name: str
    port: int
    host: str = "127.0.0.1"
    protocol: str = "PLAINTEXT"

    @property
    def url(self) -> str:
        """The listener as Kafka writes it: ``NAME://host:port``."""
        return f"{self.name}://{self.host}:{self.port}"


CONTROLLER_USER = "__controller"
"""SASL/PLAIN user of the broker talking to its controller; cannot clash with a SCRAM user."""

_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


@dataclass(frozen=True)
class BrokerSecurity:
    """What the listeners of a secure broker need; secrets are left out of ``repr``.

    Attributes:
        keystore: The broker's PKCS12 keystore (key and certificate chain).
        keystore_password: Its password.
        truststore: The CA certificate (PEM) the broker trusts as a client of itself.
        super_user: SCRAM user the broker talks to itself as; a super user, allowed everything.
        super_password: Its password.
        controller_password: Password of :data:`CONTROLLER_USER` on the controller listener.
        authorizer: Whether ACLs are enforced (StandardAuthorizer, deny when no ACL matches).
    """

    keystore: Path
    keystore_password: str = field(repr=False)
    truststore: Path
    super_user: str
    super_password: str = field(repr=False)
    controller_password: str = field(repr=False)
    authorizer: bool = True


def listener_settings(
    broker: Sequence[Listener],
    controller: Listener,
    *,
    node_id: int = 1,
    security: BrokerSecurity | None = None,
) -> dict[str, str]:
    """Return every listener, quorum and security setting of a combined node.

    Args:
        broker: Client-facing listeners; the first one also carries inter-broker traffic.
        controller: The KRaft controller listener (never advertised to clients).
        node_id: The node's id, also its id in the single-voter quorum.
        security: TLS, SASL and ACL facts of a secure broker, whose client listeners are
            ``SASL_SSL`` and whose controller listener is ``SASL_PLAINTEXT``.

    Returns:
        The ``listeners``/``advertised.listeners``/protocol-map family of settings,
        plus the SSL, SASL and authorizer settings of a secure broker.

    Raises:
        ValueError: If no broker listener is given or two listeners share a name.
    """
    if not broker:
        raise ValueError("a broker needs at least one client listener; pass one Listener")
    every = [*broker, controller]
    names = [listener.name for listener in every]
    if len(set(names)) != len(names):
        raise ValueError(f"listener names must be unique, got {names}; rename the duplicates")
    settings = {
        "listeners": ",".join(listener.url for listener in every),
        "advertised.listeners": ",".join(listener.url for listener in broker),
        "listener.security.protocol.map": ",".join(f"{x.name}:{x.protocol}" for x in every),
        "inter.broker.listener.name": broker[0].name,
        "controller.listener.names": controller.name,
        "controller.quorum.voters": f"{node_id}@{controller.host}:{controller.port}",
    }
    if security is not None:
        settings |= _secure_settings(broker, controller, security)
    return settings


def _secure_settings(
    broker: Sequence[Listener], controller: Listener, security: BrokerSecurity
) -> dict[str, str]:
    """SCRAM over TLS for clients, PLAIN for the controller, and the ACL authorizer."""
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule required"
    control = _jaas(security.controller_password)
    settings = {
        "sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
        "sasl.mechanism.controller.protocol": "PLAIN",
        f"listener.name.{controller.name.lower()}.sasl.enabled.mechanisms": "PLAIN",
        f"listener.name.{controller.name.lower()}.plain.sasl.jaas.config": (
            f"{plain} username={_jaas(CONTROLLER_USER)} password={control} "
            f"user_{CONTROLLER_USER}={control};"
        ),
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(security.keystore),
        "ssl.keystore.password": security.keystore_password,
        "ssl.key.password": security.keystore_password,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(security.truststore),
        "ssl.client.auth": "none",
    }
    for listener in broker:
        settings[f"listener.name.{listener.name.lower()}.scram-sha-512.sasl.jaas.config"] = (
            f"{scram} username={_jaas(security.super_user)} "
            f"password={_jaas(security.super_password)};"
        )
    if security.authorizer:
        settings |= {
            "authorizer.class.name": _AUTHORIZER,
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:{security.super_user};User:{CONTROLLER_USER}",
        }
    return settings


def _jaas(value: str) -> str:
    """Quote a JAAS option value (Kafka's parser understands backslash escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_server_properties(
    *,
    log_dir: Path,
    broker: Sequence[Listener],
    controller: Listener,
    node_id: int = 1,
    overrides: Mapping[str, str] | None = None,
    security: BrokerSecurity | None = None,
) -> str:
    """Render ``server.properties`` of a single-node KRaft broker (roles broker+controller).

    Args:
        log_dir: Where Kafka keeps its partitions and metadata log (``log.dirs``).
        broker: Client-facing listeners, see :func:`listener_settings`.
        controller: The KRaft controller listener.
        node_id: The node's id.
        overrides: Settings that win over every default, e.g. ``{"num.partitions": "3"}``.
        security: TLS, SASL and ACL facts of a secure broker, see :func:`listener_settings`.

    Returns:
        The file's text, ISO-8859-1 safe as Java's ``Properties.load`` expects; it
        holds passwords when ``security`` is given, so write it readable only by you.
    """
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "log.dirs": str(log_dir),
        **listener_settings(broker, controller, node_id=node_id, security=security),
        **FAST_TEST_DEFAULTS,
        **(overrides or {}),
    }
    return render_properties(settings.items(), header="Written by agentbus.localkafka")


def new_cluster_id() -> str:
    """Return a fresh cluster id in Kafka's format, as ``StorageTool random-uuid`` would.

    Made here rather than by the JVM tool to save a JVM start on first run: 16
    random bytes in unpadded URL-safe base64, never starting with ``-`` (which
    Kafka avoids because a command line would read it as an option).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def render_log4j2(log_file: Path, *, noisy: Iterable[str] = NOISY_LOGGERS) -> str:
    """Render a log4j2 configuration that writes everything to one file.

    Args:
        log_file: The broker log (``server.log``), appended to across restarts.
        noisy: Loggers raised to WARN because they are chatty at INFO.

    Returns:
        The text of a ``log4j2.properties`` file.
    """
    settings: list[tuple[str, str]] = [
        ("status", "error"),
        ("name", "agentbus-localkafka"),
        ("appender.file.type", "File"),
        ("appender.file.name", "file"),
        ("appender.file.fileName", str(log_file)),
        ("appender.file.append", "true"),
        ("appender.file.layout.type", "PatternLayout"),
        ("appender.file.layout.pattern", "[%d] %p %m (%c)%n"),
        ("rootLogger.level", "INFO"),
        ("rootLogger.appenderRef.file.ref", "file"),
    ]
    for index, logger in enumerate(noisy):
        settings += [(f"logger.quiet{index}.name", logger), (f"logger.quiet{index}.level", "WARN")]
    return render_properties(settings, header="Written by agentbus.localkafka")


def render_properties(settings: Iterable[tuple[str, str]], *, header: str = "") -> str:
    r"""Render key/value pairs in Java ``.properties`` syntax, escaping what Java would misread.

    Args:
        settings: The pairs, written in the given order.
        header: Optional comment written on the first line.

    Returns:
        The text, with non-ASCII characters as ``\uXXXX`` escapes.
    """
    lines = [f"# {header}"] if header else []
    lines += [f"{_escape(key, key=True)}={_escape(value, key=False)}" for key, value in settings]
    return "\n".join(lines) + "\n"


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}
_KEY_ESCAPES = {"=": "\\=", ":": "\\:", " ": "\\ ", "#": "\\#", "!": "\\!"}


def _escape(text: str, *, key: bool) -> str:
    out: list[str] = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif key and char in _KEY_ESCAPES:
            out.append(_KEY_ESCAPES[char])
        elif ord(char) > 0x7E:  # noqa: PLR2004 - last printable ASCII character
            encoded = char.encode("utf-16-be")
            out += [f"\\u{encoded[i]:02x}{encoded[i + 1]:02x}" for i in range(0, len(encoded), 2)]
        else:
            out.append(char)
    escaped = "".join(out)
    # Java strips leading blanks of a value; an escaped first blank survives.
    if not key and escaped.startswith(" "):
        escaped = "\\" + escaped
    return escaped
