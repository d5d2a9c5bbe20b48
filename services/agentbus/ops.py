"""The ops endpoints every process serves on its one port.

``/healthz``: the process is alive (its event loop answers). ``/readyz``: it can
do its job, every registered check passes (Kafka reachable, consumer group joined
and partitions assigned...); 503 with the failing checks otherwise.
``/metrics``: Prometheus exposition of the process's registry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["Readiness", "ReadinessCheck", "ops_routes"]

ReadinessCheck = Callable[[], Awaitable[tuple[bool, str]]]
"""Returns (ok, detail)."""


@dataclass
class Readiness:
    """Named readiness checks, run concurrently on every ``/readyz``."""

    checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    timeout_s: float = 2.0

    def add(self, name: str, check: ReadinessCheck) -> None:
        """Add a check; ``/readyz`` fails while it fails."""
        self.checks[name] = check

    async def run(self) -> tuple[bool, dict[str, dict[str, object]]]:
        """Run every check with a timeout; return overall status and per-check results."""

        async def one(check: ReadinessCheck) -> tuple[bool, str]:
            try:
                async with asyncio.timeout(self.timeout_s):
                    return await check()
            except TimeoutError:
                return False, f"no answer within {self.timeout_s:g} s"
            except Exception as exc:  # noqa: BLE001 - a failing check is a result, not a crash
                return False, f"{type(exc).__name__}: {exc}"

        names = list(self.checks)
        results = await asyncio.gather(*(one(self.checks[n]) for n in names))
        report = {
            n: {"ok": ok, "detail": detail} for n, (ok, detail) in zip(names, results, strict=True)
        }
        return all(ok for ok, _ in results), report


def ops_routes(readiness: Readiness, registry: CollectorRegistry | None = None) -> list[Route]:
    """Routes for ``/healthz``, ``/readyz`` and ``/metrics``."""
    reg = registry if registry is not None else REGISTRY

    async def healthz(request: Request) -> Response:
        del request
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        del request
        ok, report = await readiness.run()
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": report},
            status_code=200 if ok else 503,
        )

    async def metrics(request: Request) -> Response:
        del request
        return Response(generate_latest(reg), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
