"""A local single-node Apache Kafka broker: the embedded default for running and testing.

The broker is the official Apache Kafka release (:data:`agentbus.versions.KAFKA_VERSION`)
run from its jars on Maven Central, which Maven resolves once into a cache.
It runs in KRaft mode (one node that is both broker and controller) on
loopback, with settings tuned for fast tests.

From Python::

    from agentbus.localkafka import LocalKafka

    with LocalKafka(Path(".local/kafka")) as kafka:
        use(kafka.bootstrap_servers)

A secure variant (SASL_SSL with SCRAM-SHA-512, a TLS certificate from a local
CA, ACLs enforced) serves the security tests::

    options = SecurityOptions.random_passwords("data", "cs")  # plus "admin", the super user
    with LocalKafka(Path(".local/kafka-secure"), security=options) as kafka:
        use(kafka.bootstrap_servers, kafka.client_security("data"), kafka.ca_file)

From a shell: ``python -m agentbus.localkafka --help``.

Modules: :mod:`.launcher` (``LocalKafka``), :mod:`.config` (pure rendering of
the broker's files), :mod:`.jars` (Maven resolution and cache),
:mod:`.toolchain` (finding ``java`` and ``mvn``), :mod:`.storage` (the data
directory and formatting it), :mod:`.prepare` (every file written before the
JVM starts), :mod:`.security` (the secure mode), :mod:`.tls` (its certificates),
:mod:`.scram` (its SCRAM credentials and client), :mod:`.process` (the JVM
process and its watchdog), :mod:`.probe` (readiness over the Kafka protocol),
:mod:`.errors` (the exception tree), :mod:`.cli` (the command line).
"""

from agentbus.localkafka.config import Listener, render_server_properties
from agentbus.localkafka.errors import (
    BrokerStartError,
    JarResolutionError,
    JavaNotFoundError,
    LocalKafkaError,
    MavenNotFoundError,
    PortInUseError,
    SecuritySetupError,
)
from agentbus.localkafka.jars import default_cache_dir, resolve_jars
from agentbus.localkafka.launcher import LocalKafka
from agentbus.localkafka.probe import broker_is_ready
from agentbus.localkafka.security import SecurityOptions

__all__ = [
    "BrokerStartError",
    "JarResolutionError",
    "JavaNotFoundError",
    "Listener",
    "LocalKafka",
    "LocalKafkaError",
    "MavenNotFoundError",
    "PortInUseError",
    "SecurityOptions",
    "SecuritySetupError",
    "broker_is_ready",
    "default_cache_dir",
    "render_server_properties",
    "resolve_jars",
]
