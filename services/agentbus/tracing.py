"""OpenTelemetry: W3C trace context in Kafka headers, and tracing set up from ``OTEL_*``.

The W3C ``traceparent``/``tracestate`` headers ride on every record, so a request
that crosses gateway → balance → data is one trace. Exporting is configured by the
standard variables (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``,
``OTEL_TRACES_EXPORTER``, ``OTEL_SDK_DISABLED``...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import Final

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

__all__ = [
    "INSTRUMENTATION_NAME",
    "configure_tracing",
    "extract_context",
    "get_tracer",
    "inject_context",
]

INSTRUMENTATION_NAME: Final = "agentbus"


def get_tracer() -> trace.Tracer:
    """The tracer agentbus records its spans with (from the global provider)."""
    return trace.get_tracer(INSTRUMENTATION_NAME)


def inject_context(headers: MutableMapping[str, str]) -> None:
    """Write the current trace context into ``headers`` (W3C ``traceparent``)."""
    propagate.inject(headers)


def extract_context(headers: Mapping[str, str]) -> otel_context.Context:
    """The trace context carried by ``headers``."""
    return propagate.extract(dict(headers))


def configure_tracing(service_name: str) -> TracerProvider | None:
    """Install an OTLP-exporting tracer provider when ``OTEL_*`` asks for one.

    Tracing is on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set, ``OTEL_TRACES_EXPORTER`` is not
    ``none`` and ``OTEL_SDK_DISABLED`` is not ``true``. ``OTEL_SERVICE_NAME`` wins
    over ``service_name``. Returns the provider, or ``None`` when tracing stays off.
    """
    env = os.environ
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    if env.get("OTEL_TRACES_EXPORTER", "otlp").lower() == "none":
        return None
    if not (
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )

    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", service_name)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
