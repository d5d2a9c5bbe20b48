"""What a fuzz run found: its report, unclear answers grouped by kind, live processes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import httpx

__all__ = ["FuzzReport", "processes_alive"]

KEPT: Final = 20
"""Descriptions of unclear answers kept in a report (all are counted)."""
LIMIT_S: Final = 15.0
"""Time an input has to get its clear answer."""


@dataclass
class FuzzReport:
    """What a fuzz run sent and which inputs did not get a clear answer."""

    inputs: int = 0
    """Inputs sent (matrix + generated), gateway + wire."""
    unclear: list[str] = field(default_factory=list)
    """Inputs without a clear answer: one description per kind (at most :data:`KEPT` a surface)."""
    gateway_inputs: int = 0
    wire_inputs: int = 0
    seconds: float = 0.0
    unclear_total: int = 0
    """Every input without a clear answer, also those not described in ``unclear``."""
    accepted: int = 0
    """Inputs the system took as valid and answered with a result (2xx, JSON-RPC result)."""

    def merged(self, other: FuzzReport) -> FuzzReport:
        """Both reports as one (gateway + wire)."""
        return FuzzReport(
            inputs=self.inputs + other.inputs,
            unclear=self.unclear + other.unclear,
            gateway_inputs=self.gateway_inputs + other.gateway_inputs,
            wire_inputs=self.wire_inputs + other.wire_inputs,
            seconds=self.seconds + other.seconds,
            unclear_total=self.unclear_total + other.unclear_total,
            accepted=self.accepted + other.accepted,
        )


class _Findings:
    """Unclear answers grouped by kind: one description per kind, with how many more."""

    def __init__(self) -> None:
        self._kinds: dict[str, tuple[str, int]] = {}
        self.total = 0

    def add(self, kind: str, description: str) -> None:
        """Count one input without a clear answer."""
        self.total += 1
        first, count = self._kinds.get(kind, (description, 0))
        self._kinds[kind] = (first, count + 1)

    def fill(self, report: FuzzReport) -> None:
        """Put the counts and the first :data:`KEPT` kinds into ``report``."""
        report.unclear_total = self.total
        report.unclear = [
            first + (f" [and {count - 1} more like it]" if count > 1 else "")
            for first, count in list(self._kinds.values())[:KEPT]
        ]


def processes_alive(urls: Sequence[str], *, timeout: float = 5.0) -> list[str]:
    """The base URLs among ``urls`` whose ``/healthz`` does not answer 200."""
    down = []
    with httpx.Client(timeout=timeout) as client:
        for url in urls:
            try:
                healthy = client.get(f"{url.rstrip('/')}/healthz").status_code == 200
            except httpx.HTTPError:
                healthy = False
            if not healthy:
                down.append(url)
    return down


def _clip(raw: bytes | str | None, size: int = 160) -> str:
    if raw is None:
        return "None"
    text = repr(raw[:size])
    return f"{text}…({len(raw)} total)" if len(raw) > size else text
