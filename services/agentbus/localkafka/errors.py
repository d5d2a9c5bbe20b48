"""Errors raised by the local Apache Kafka launcher.

Every error derives from one base class, so callers that only want to report
"the local broker could not be started" catch :class:`LocalKafkaError`::

    LocalKafkaError
    ├── JavaNotFoundError        no usable ``java`` (missing or older than 17)
    ├── MavenNotFoundError       ``mvn`` is needed to resolve the jars but is missing
    ├── JarResolutionError       Maven ran and failed; the message ends with its output
    ├── SecuritySetupError       TLS material or SCRAM users of a secure broker cannot be made
    └── BrokerStartError         the broker process exited or never became ready
        └── PortInUseError       a listener port is held by another process

Each message says what happened, to what, and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "BrokerStartError",
    "JarResolutionError",
    "JavaNotFoundError",
    "LocalKafkaError",
    "MavenNotFoundError",
    "PortInUseError",
    "SecuritySetupError",
]


class LocalKafkaError(Exception):
    """Base class of every error raised by :mod:`agentbus.localkafka`."""


class JavaNotFoundError(LocalKafkaError):
    """No Java runtime new enough to run the Apache Kafka broker was found."""


class MavenNotFoundError(LocalKafkaError):
    """The Kafka jars are not cached yet and ``mvn`` is not available to fetch them."""


class JarResolutionError(LocalKafkaError):
    """Maven failed to resolve the Apache Kafka jars."""


class SecuritySetupError(LocalKafkaError):
    """The TLS material or the SCRAM users of a secure broker could not be prepared."""


class BrokerStartError(LocalKafkaError):
    """The broker process exited during startup or did not become ready in time."""


class PortInUseError(BrokerStartError):
    """A port the broker must listen on is already bound by another process."""
