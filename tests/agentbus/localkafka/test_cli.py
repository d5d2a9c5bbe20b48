from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbus.localkafka import broker_is_ready
from agentbus.localkafka.cli import main
from agentbus.localkafka.process import free_ports, pid_alive
from agentbus.versions import KAFKA_VERSION


def cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m agentbus.localkafka`` as a user would, with the test's jar cache."""
    env = {**os.environ, "AGENTBUS_KAFKA_CACHE": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "agentbus.localkafka", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=100,
        check=False,
    )


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    """--help names the five commands and the Kafka version."""
    with pytest.raises(SystemExit) as caught:
        main(["--help"])

    out = capsys.readouterr().out
    assert caught.value.code == 0
    assert all(command in out for command in ("run", "start", "stop", "status", "fetch"))
    assert KAFKA_VERSION in out


def test_a_setting_without_equals_sign_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--set needs KEY=VALUE; anything else exits 2 with an example."""
    with pytest.raises(SystemExit) as caught:
        main(["run", "--data-dir", str(tmp_path), "--set", "num.partitions"])

    assert caught.value.code == 2
    assert "--set num.partitions=3" in capsys.readouterr().err


def test_a_heap_that_is_not_a_size_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--heap must be a JVM size like 512m; anything else exits 2 before starting anything."""
    status = main(["run", "--data-dir", str(tmp_path / "k"), "--heap", "lots"])

    assert status == 2
    assert "write it like '512m'" in capsys.readouterr().err
    assert not (tmp_path / "k").exists()


@pytest.mark.kafka
def test_fetch_reads_the_cache_from_the_environment(
    kafka_cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fetch command prints the jar directory under $AGENTBUS_KAFKA_CACHE."""
    status = main(["fetch"], environ={"AGENTBUS_KAFKA_CACHE": str(kafka_cache_dir)})

    assert status == 0
    assert capsys.readouterr().out.strip() == str(kafka_cache_dir / KAFKA_VERSION / "libs")


@pytest.mark.kafka
def test_start_status_stop_manage_a_background_broker(
    tmp_path: Path, kafka_cache_dir: Path
) -> None:
    """Start leaves a ready broker behind, status reports it, stop ends it and status says so."""
    port, controller_port = free_ports("127.0.0.1", 2)
    where = ["--data-dir", str(tmp_path / "kafka")]
    ports = ["--port", str(port), "--controller-port", str(controller_port)]

    started = cli("start", *where, *ports, cache=kafka_cache_dir)
    try:
        running = cli("status", *where, cache=kafka_cache_dir)
        ready = broker_is_ready("127.0.0.1", port)
    finally:
        stopped = cli("stop", *where, cache=kafka_cache_dir)
    after = cli("status", *where, cache=kafka_cache_dir)

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"127.0.0.1:{port}"
    assert "ready: bootstrap servers" in started.stderr
    assert ready
    assert running.returncode == 0
    assert "ready" in running.stderr
    assert stopped.returncode == 0
    assert after.returncode == 3
    assert not (tmp_path / "kafka" / "broker.pid").exists()


@contextlib.contextmanager
def launch_run(data_dir: Path, cache: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Start ``run`` in the background; give it and the broker's pid once ready; reap it after."""
    port, controller_port = free_ports("127.0.0.1", 2)
    env = {**os.environ, "AGENTBUS_KAFKA_CACHE": str(cache)}
    command = [sys.executable, "-m", "agentbus.localkafka", "run", "--data-dir", str(data_dir)]
    ports = ["--port", str(port), "--controller-port", str(controller_port)]
    with subprocess.Popen(
        [*command, *ports], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
    ) as runner:
        assert runner.stderr is not None
        try:
            for line in runner.stderr:
                if line.startswith("running;"):
                    yield runner, int((data_dir / "broker.pid").read_text())
                    return
            pytest.fail(f"`run` exited with code {runner.wait()} before the broker was ready")
        finally:
            runner.terminate()


def wait_gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.kafka
def test_run_stops_the_broker_cleanly_on_sigterm(tmp_path: Path, kafka_cache_dir: Path) -> None:
    """SIGTERM to a foreground `run` stops the broker, removes the pidfile and exits 0."""
    with launch_run(tmp_path / "kafka", kafka_cache_dir) as (runner, broker_pid):
        runner.send_signal(signal.SIGTERM)
        status = runner.wait(timeout=30)

    assert status == 0
    assert wait_gone(broker_pid)
    assert not (tmp_path / "kafka" / "broker.pid").exists()


@pytest.mark.kafka
def test_the_broker_dies_with_a_parent_killed_by_sigkill(
    tmp_path: Path, kafka_cache_dir: Path
) -> None:
    """If the process owning the broker is SIGKILLed, the watchdog stops the broker."""
    with launch_run(tmp_path / "kafka", kafka_cache_dir) as (runner, broker_pid):
        runner.kill()
        runner.wait(timeout=10)

    assert wait_gone(broker_pid)
