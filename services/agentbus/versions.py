"""Versions pinned in one place: the local broker, the chart and the docs read them from here."""

KAFKA_VERSION = "4.3.1"
"""Apache Kafka release used everywhere: newest 4.x on Maven Central that Strimzi 1.2 supports."""

SCALA_BINARY_VERSION = "2.13"
"""Scala binary version of the ``kafka_<scala>`` server artifact on Maven Central."""

STRIMZI_VERSION = "1.2.0"
"""Strimzi operator release the Helm chart's ``Kafka`` resource is written for."""
