"""Starting the project's own processes for benchmarks: agents, and Kafka if needed."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

__all__ = ["free_port", "local_kafka", "log", "spawn_agent"]


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only results."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def local_kafka(bootstrap: str | None) -> Iterator[str]:
    """Yield bootstrap servers: ``bootstrap`` if given, else a fresh local broker."""
    if bootstrap:
        yield bootstrap
        return
    from agentbus.localkafka import LocalKafka  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="agentbus-bench-") as tmp:
        log("starting a local Apache Kafka broker")
        kafka = LocalKafka(Path(tmp) / "kafka")
        kafka.start()
        try:
            log(f"Kafka ready at {kafka.bootstrap_servers}")
            yield kafka.bootstrap_servers
        finally:
            kafka.stop()


@contextlib.contextmanager
def spawn_agent(
    module: str, *, port: int, env: Mapping[str, str], log_path: Path | None = None
) -> Iterator[str]:
    """Run ``python -m module`` with ``env``; yield its base URL once ``/readyz`` is 200."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTBUS_")}
    full_env.update(env)
    full_env["AGENTBUS_OPS__PORT"] = str(port)
    full_env["AGENTBUS_OPS__HOST"] = "127.0.0.1"
    out = log_path.open("ab") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", module], env=full_env, stdout=out, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{module} exited with code {proc.returncode} while starting")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{module} on port {port} was not ready within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if out is not subprocess.DEVNULL:
            out.close()
