"""Starting and stopping the project's services as local processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["Service", "ServiceGroup", "free_port", "progress"]


def progress(message: str) -> None:
    """A progress line on stderr (stdout carries results)."""
    print(f"[agentbus] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Service:
    """One service process: ``python -m <module>`` with its environment and port."""

    name: str
    module: str
    port: int
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of its one port."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_dir: Path) -> None:
        """Launch the process, logging to ``log_dir/<name>.log``; agentbus env is explicit."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTBUS_")}
        # The a2a-sdk traces ~100 internal calls per request; agentbus's own spans already
        # make one trace per request across agents. Opt in by exporting it as true.
        env.setdefault("OTEL_INSTRUMENTATION_A2A_SDK_ENABLED", "false")
        env.update(self.env)
        env["AGENTBUS_OPS__HOST"] = "127.0.0.1"
        env["AGENTBUS_OPS__PORT"] = str(self.port)
        log_dir.mkdir(parents=True, exist_ok=True)
        with (log_dir / f"{self.name}.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", self.module],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, deadline: float) -> None:
        """Wait for ``/readyz`` to answer 200.

        Raises:
            RuntimeError: the process exited, or was not ready before ``deadline``.
        """
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode} while starting"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:  # noqa: PLR2004
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} on port {self.port} was not ready in time")
            time.sleep(0.2)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (it drains and commits), then SIGKILL if it does not exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class ServiceGroup:
    """Services started together, stopped in reverse order."""

    log_dir: Path
    services: list[Service] = field(default_factory=list)

    def add(
        self, name: str, module: str, env: Mapping[str, str], port: int | None = None
    ) -> Service:
        """Declare a service (started by :meth:`running`)."""
        service = Service(name, module, port or free_port(), dict(env))
        self.services.append(service)
        return service

    @contextlib.contextmanager
    def running(self, timeout: float = 120) -> Iterator[ServiceGroup]:
        """Start every service, wait until all are ready, stop them all at the end."""
        try:
            for service in self.services:
                progress(f"starting {service.name} on {service.url}")
                service.start(self.log_dir)
            deadline = time.monotonic() + timeout
            for service in self.services:
                service.wait_ready(deadline)
                progress(f"{service.name} ready")
            yield self
        finally:
            for service in reversed(self.services):
                service.stop()
