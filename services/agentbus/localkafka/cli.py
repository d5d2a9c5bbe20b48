"""The local broker's command line: ``python -m agentbus.localkafka COMMAND``.

Progress goes to stderr; the one useful value of a command (the bootstrap
address, or the jar directory for ``fetch``) goes to stdout, so scripts can
write ``BOOTSTRAP=$(python -m agentbus.localkafka start)``.

A broker started in the background (``start``) leaves two files in its data
directory: ``broker.pid`` and ``bootstrap.servers``; ``stop`` and ``status``
read them. The cache directory defaults to ``$AGENTBUS_KAFKA_CACHE``, else
``~/.cache/agentbus/kafka``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

from agentbus.localkafka.errors import LocalKafkaError
from agentbus.localkafka.jars import default_cache_dir, resolve_jars
from agentbus.localkafka.launcher import LocalKafka
from agentbus.localkafka.probe import ProbeError, broker_is_ready
from agentbus.localkafka.process import pid_alive, terminate_pid
from agentbus.localkafka.storage import DataDir
from agentbus.versions import KAFKA_VERSION

__all__ = ["build_parser", "main"]

_log = logging.getLogger("agentbus.localkafka")
_NOT_RUNNING = 3  # LSB exit status of `status` for a stopped service
PROG = "python -m agentbus.localkafka"


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (exposed for tests and for generating docs)."""
    cache = argparse.ArgumentParser(add_help=False)
    cache.add_argument(
        "--cache-dir",
        type=Path,
        help="jar cache root (default: $AGENTBUS_KAFKA_CACHE, else ~/.cache/agentbus/kafka)",
    )
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "--data-dir",
        type=Path,
        default=Path(".local/kafka"),
        help="storage, configuration, logs and pidfile (default: .local/kafka)",
    )
    data.add_argument("--timeout", type=float, default=90, help="seconds to wait (default: 90)")
    broker = argparse.ArgumentParser(add_help=False, parents=[cache, data])
    broker.add_argument("--host", default="127.0.0.1", help="address to bind and advertise")
    broker.add_argument("--port", type=int, default=9092, help="client port (default: 9092)")
    broker.add_argument(
        "--controller-port", type=int, default=9093, help="KRaft controller port (default: 9093)"
    )
    broker.add_argument("--heap", default="512m", help="JVM maximum heap (default: 512m)")
    broker.add_argument(
        "--set",
        dest="settings",
        metavar="KEY=VALUE",
        type=_setting,
        action="append",
        default=[],
        help="extra server.properties setting (repeatable)",
    )

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=f"Run a local single-node Apache Kafka {KAFKA_VERSION} broker (KRaft) "
        "from the official jars, fetched once with Maven.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", parents=[broker], help="run in the foreground until Ctrl-C")
    commands.add_parser("start", parents=[broker], help="start in the background, wait until ready")
    commands.add_parser("stop", parents=[data], help="stop the broker started by `start`")
    commands.add_parser("status", parents=[data], help="tell whether the broker is running")
    commands.add_parser("fetch", parents=[cache], help="only download and cache the jars")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the command line and return its exit status.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` if None.
        environ: Environment to read ``AGENTBUS_KAFKA_CACHE`` from; the process's if None.

    Returns:
        0 on success, 1 on error, 3 from ``status`` when no broker runs.
    """
    args = build_parser().parse_args(argv)
    env = os.environ if environ is None else environ
    if "cache_dir" in args and args.cache_dir is None:
        cached = env.get("AGENTBUS_KAFKA_CACHE")
        args.cache_dir = Path(cached) if cached else default_cache_dir(env)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved = _log.level, _log.propagate
    _log.addHandler(handler)
    _log.setLevel(logging.INFO)
    _log.propagate = False
    try:
        status: int = _COMMANDS[args.command](args)
    except LocalKafkaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        _log.removeHandler(handler)
        _log.setLevel(saved[0])
        _log.propagate = saved[1]
    return status


def _run(args: argparse.Namespace) -> int:
    _refuse_if_running(args.data_dir)
    kafka = _make(args)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        kafka.start(args.timeout)
        _write_state(args.data_dir, kafka)
        _log.info("running; press Ctrl-C to stop")
        while kafka.is_running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        kafka.stop()
        _log.info("stopped")
        return 0
    finally:
        kafka.stop()
        signal.signal(signal.SIGTERM, previous)
        _clear_state(args.data_dir)
    _log.error("the broker exited by itself; see %s", kafka.log_path)
    return 1


def _start(args: argparse.Namespace) -> int:
    running = _running_pid(args.data_dir)
    if running is not None:
        bootstrap = _bootstrap(args.data_dir)
        _log.info("already running (pid %d): bootstrap servers %s", running, bootstrap)
        print(bootstrap)
        return 0
    kafka = _make(args)
    kafka.start(args.timeout)
    _write_state(args.data_dir, kafka)
    pid = kafka.detach()
    _log.info(
        "broker runs in the background (pid %d); stop it with `%s stop --data-dir %s`",
        pid,
        PROG,
        args.data_dir,
    )
    print(kafka.bootstrap_servers)
    return 0


def _stop(args: argparse.Namespace) -> int:
    pid = _running_pid(args.data_dir)
    if pid is None:
        _log.info("no broker is running from %s", args.data_dir)
    else:
        _log.info("stopping broker pid %d…", pid)
        terminate_pid(pid, marker=_marker(args.data_dir), timeout=args.timeout)
        _log.info("stopped")
    _clear_state(args.data_dir)
    return 0


def _status(args: argparse.Namespace) -> int:
    pid = _running_pid(args.data_dir)
    if pid is None:
        _log.info("not running (data dir %s)", args.data_dir)
        return _NOT_RUNNING
    bootstrap = _bootstrap(args.data_dir)
    host, _, port = bootstrap.rpartition(":")
    try:
        ready = broker_is_ready(host, int(port))
    except (OSError, ProbeError, ValueError):
        ready = False
    _log.info(
        "running (pid %d, %s): bootstrap servers %s",
        pid,
        "ready" if ready else "not answering yet",
        bootstrap,
    )
    print(bootstrap)
    return 0


def _fetch(args: argparse.Namespace) -> int:
    libs = resolve_jars(args.cache_dir)
    _log.info("Apache Kafka %s jars are cached in %s", KAFKA_VERSION, libs)
    print(libs)
    return 0


_COMMANDS = {"run": _run, "start": _start, "stop": _stop, "status": _status, "fetch": _fetch}


def _make(args: argparse.Namespace) -> LocalKafka:
    settings = dict(args.settings)
    return LocalKafka(
        args.data_dir,
        host=args.host,
        port=args.port,
        controller_port=args.controller_port,
        cache_dir=args.cache_dir,
        heap=args.heap,
        broker_config=settings,
    )


def _setting(item: str) -> tuple[str, str]:
    """Parse one ``--set KEY=VALUE`` (an argparse ``type``)."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            f"{item!r} is not KEY=VALUE; write e.g. --set num.partitions=3"
        )
    return key.strip(), value.strip()


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _marker(data_dir: Path) -> str:
    """Text only our broker's command line contains: its server.properties path."""
    return str(DataDir(data_dir.absolute()).server_properties)


def _bootstrap(data_dir: Path) -> str:
    try:
        return (data_dir / "bootstrap.servers").read_text().strip()
    except OSError:
        return "unknown (bootstrap.servers is missing)"


def _running_pid(data_dir: Path) -> int | None:
    try:
        pid = int((data_dir / "broker.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid, marker=_marker(data_dir)) else None


def _refuse_if_running(data_dir: Path) -> None:
    pid = _running_pid(data_dir)
    if pid is not None:
        raise LocalKafkaError(
            f"a broker (pid {pid}) already runs from {data_dir}; stop it first with "
            f"`{PROG} stop --data-dir {data_dir}` or use another --data-dir"
        )


def _write_state(data_dir: Path, kafka: LocalKafka) -> None:
    state = {"broker.pid": str(kafka.pid), "bootstrap.servers": kafka.bootstrap_servers}
    for name, value in state.items():
        partial = data_dir / f"{name}.tmp"
        partial.write_text(value + "\n")
        partial.replace(data_dir / name)


def _clear_state(data_dir: Path) -> None:
    for name in ("broker.pid", "bootstrap.servers"):
        (data_dir / name).unlink(missing_ok=True)
