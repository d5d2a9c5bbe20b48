"""The services a scenario runs, as real processes it can stop, start and kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack.processes import Service, free_port, progress

__all__ = ["MODULES", "Deployment"]

MODULES: Mapping[str, str] = {
    "data": "data_agent",
    "cs": "cs_agent",
    "balance": "balance_agent",
    "gateway": "gateway",
}


@dataclass
class Deployment:
    """Processes of one scenario on its own topic prefix (so scenarios never share groups).

    Every process this object did not stop or kill on purpose must still be running
    and answering ``/healthz`` at the end; :meth:`casualties` names those that are not.
    """

    bootstrap: str
    prefix: str
    log_dir: Path
    data_db: Path
    services: dict[str, Service] = field(default_factory=dict)
    stopped_on_purpose: set[str] = field(default_factory=set)

    def add(self, name: str, agent: str, **env: str) -> Service:
        """Declare process ``name`` running ``agent``'s module (not started yet)."""
        environment = {
            "AGENTBUS_TRANSPORT": "kafka",
            "AGENTBUS_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap,
            "AGENTBUS_TOPICS__PREFIX": self.prefix,
            "AGENTBUS_TOPICS__REQUEST_PARTITIONS": "4",
            # A dead replica's partitions move after 6 s instead of 45 s.
            "AGENTBUS_KAFKA__SESSION_TIMEOUT_MS": "6000",
            "AGENTBUS_DATA_DB_PATH": str(self.data_db),
            **env,
        }
        service = Service(name, MODULES[agent], free_port(), environment)
        self.services[name] = service
        return service

    async def start(self, *names: str, timeout: float = 120) -> None:
        """Start ``names`` (all declared if none) and wait until each is ready."""
        chosen = [self.services[n] for n in names or self.services]
        for service in chosen:
            progress(f"  starting {service.name}")
            self.stopped_on_purpose.discard(service.name)
            service.start(self.log_dir)
        deadline = time.monotonic() + timeout
        for service in chosen:
            await asyncio.to_thread(service.wait_ready, deadline)

    async def stop(self, name: str) -> None:
        """SIGTERM ``name`` and wait for it to exit (it drains and commits)."""
        self.stopped_on_purpose.add(name)
        await asyncio.to_thread(self.services[name].stop)

    def kill(self, name: str) -> int:
        """SIGKILL ``name`` at once, as a crash would; return its pid."""
        self.stopped_on_purpose.add(name)
        process = self.services[name].process
        assert process is not None  # noqa: S101 - only started services are killed
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        return process.pid

    def url(self, name: str) -> str:
        """Base URL of ``name``'s port."""
        return self.services[name].url

    async def casualties(self) -> list[str]:
        """Processes that died or stopped answering without being told to."""
        lost = []
        async with httpx.AsyncClient(timeout=5) as http:
            for name, service in self.services.items():
                if name in self.stopped_on_purpose:
                    continue
                process = service.process
                if process is None or process.poll() is not None:
                    code = None if process is None else process.returncode
                    lost.append(f"{name} exited (code {code})")
                    continue
                try:
                    healthy = (await http.get(f"{service.url}/healthz")).status_code == 200
                except httpx.HTTPError:
                    healthy = False
                if not healthy:
                    lost.append(f"{name} does not answer /healthz")
        return lost

    async def close(self) -> None:
        """Stop every process still running."""
        for service in reversed(list(self.services.values())):
            with contextlib.suppress(Exception):
                await asyncio.to_thread(service.stop)
