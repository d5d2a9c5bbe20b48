"""Prometheus metrics of a process, named after Prometheus conventions.

One :class:`Metrics` per registry; :func:`get_metrics` returns the one of the
default registry so every part of a process adds to the same series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["LagSource", "Metrics", "get_metrics"]

LATENCY_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip

LagSource = Callable[[], Iterator[tuple[str, str, int, int]]]
"""Yields (agent, topic, partition, lag) for the consumer-lag gauge."""


class _LagCollector(Collector):
    def __init__(self) -> None:
        self.sources: list[LagSource] = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "agentbus_consumer_lag_records",
            "Records in a request partition not yet read by this process.",
            labels=["agent", "topic", "partition"],
        )
        for source in list(self.sources):
            for agent, topic, partition, lag in source():
                family.add_metric([agent, topic, str(partition)], lag)
        yield family


class Metrics:
    """The series agentbus records."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "agentbus_requests",
            "A2A requests an agent handled, by outcome.",
            ["agent", "method", "transport", "outcome"],
            registry=registry,
        )
        self.request_duration = Histogram(
            "agentbus_request_duration_seconds",
            "Time from reading a request to acknowledging its reply.",
            ["agent", "method", "transport"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "agentbus_requests_in_flight",
            "Requests an agent is processing now.",
            ["agent"],
            registry=registry,
        )
        self.calls = Counter(
            "agentbus_client_calls",
            "Calls this process made to agents, by outcome.",
            ["target", "method", "transport", "outcome"],
            registry=registry,
        )
        self.call_duration = Histogram(
            "agentbus_client_call_duration_seconds",
            "Time from sending a call to its (first) reply.",
            ["target", "method", "transport"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "agentbus_errors",
            "Errors by kind (bad input, publish failure, handler crash...).",
            ["agent", "kind"],
            registry=registry,
        )
        self.retries = Counter(
            "agentbus_retries",
            "Retried operations (publishing a reply, committing offsets...).",
            ["agent", "operation"],
            registry=registry,
        )
        self.dlq = Counter(
            "agentbus_dlq_records",
            "Records copied to a dead-letter topic, by reason.",
            ["agent", "reason"],
            registry=registry,
        )
        self.dedup_hits = Counter(
            "agentbus_dedup_hits",
            "Redelivered requests answered from a stored result instead of being redone.",
            ["agent"],
            registry=registry,
        )
        self.task_writes = Histogram(
            "agentbus_task_store_write_seconds",
            "Time to write a task snapshot and learn its outcome from the log.",
            ["agent", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.delivery = Histogram(
            "agentbus_delivery_seconds",
            "From a record's creation (producer timestamp) to its handling, by record kind.",
            ["agent", "kind"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._lag = _LagCollector()
        registry.register(self._lag)

    def add_lag_source(self, source: LagSource) -> None:
        """Report consumer lag from ``source`` on every scrape."""
        self._lag.sources.append(source)

    def remove_lag_source(self, source: LagSource) -> None:
        """Stop reporting lag from ``source``."""
        if source in self._lag.sources:
            self._lag.sources.remove(source)


_BY_REGISTRY: dict[int, Metrics] = {}


def get_metrics(registry: CollectorRegistry | None = None) -> Metrics:
    """The :class:`Metrics` of ``registry`` (the default registry when ``None``)."""
    reg = registry if registry is not None else REGISTRY
    metrics = _BY_REGISTRY.get(id(reg))
    if metrics is None or metrics.registry is not reg:
        metrics = Metrics(reg)
        _BY_REGISTRY[id(reg)] = metrics
    return metrics
