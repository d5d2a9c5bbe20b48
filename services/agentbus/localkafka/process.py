"""The broker JVM as an operating-system process: launch, watchdog, signals, ports, pids.

The JVM runs in its own session and process group, so a Ctrl-C in the
terminal reaches Python (which then stops the broker cleanly) and not the JVM
half-way through a write. Next to it runs a tiny watchdog (``_watchdog.py``)
that holds one end of a pipe from the launching process: if that process is
killed outright (``kill -9``) the pipe closes, and the watchdog stops the
broker, so no JVM is left holding ports and memory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from agentbus.localkafka.errors import BrokerStartError, PortInUseError

__all__ = ["BrokerProcess", "ensure_port_free", "free_ports", "pid_alive", "terminate_pid"]

_log = logging.getLogger(__name__)
_WATCHDOG = Path(__file__).with_name("_watchdog.py")
_BANNER = "--- agentbus.localkafka:"


@dataclass
class BrokerProcess:
    """A running broker JVM, plus the watchdog that stops it if its owner dies.

    Attributes:
        process: The JVM.
        logs: Log files of this run, each with its size at launch (to show only new lines).
        watchdog: The watchdog process, None once disarmed.
        disarm_fd: Write end of the watchdog's pipe, None once disarmed.
    """

    process: subprocess.Popen[bytes]
    logs: dict[Path, int] = field(default_factory=dict)
    watchdog: subprocess.Popen[bytes] | None = None
    disarm_fd: int | None = None

    @classmethod
    def launch(
        cls, command: list[str], *, cwd: Path, output: Path, logs: list[Path]
    ) -> BrokerProcess:
        """Start ``command`` in a new session, with its output appended to ``output``.

        Args:
            command: The JVM command line.
            cwd: Working directory of the JVM.
            output: File receiving the JVM's stdout and stderr.
            logs: Files whose new lines :meth:`tail` shows, ``output`` included.

        Returns:
            The running process, watched by a watchdog.
        """
        offsets = {path: _size(path) for path in logs}
        with output.open("ab") as out:
            out.write(f"{_BANNER} starting at {time.ctime()}\n".encode())
            out.flush()
            process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                start_new_session=True,
            )
        broker = cls(process, offsets)
        read_fd, broker.disarm_fd = os.pipe()
        try:
            broker.watchdog = subprocess.Popen(  # noqa: S603 - our own script, no shell
                [sys.executable, "-I", str(_WATCHDOG), str(process.pid), str(read_fd)],
                pass_fds=(read_fd,),
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(read_fd)
        return broker

    @property
    def running(self) -> bool:
        """Whether the JVM is alive."""
        return self.process.poll() is None

    def disarm(self) -> None:
        """Tell the watchdog that the owner handles the broker from now on."""
        if self.disarm_fd is not None:
            with contextlib.suppress(OSError):
                os.write(self.disarm_fd, b"x")
            os.close(self.disarm_fd)
            self.disarm_fd = None
        if self.watchdog is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.watchdog.wait(timeout=5)
            self.watchdog = None

    def terminate(self, timeout: float) -> None:
        """Ask the broker to shut down (SIGTERM), and SIGKILL it after ``timeout`` seconds."""
        self.disarm()
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _log.warning(
                "broker pid %d ignored SIGTERM for %.0f s; killing it", self.process.pid, timeout
            )
            self.kill()

    def kill(self) -> None:
        """SIGKILL the broker and reap it."""
        self.disarm()
        self.process.kill()
        self.process.wait()

    def exit_error(
        self, *, host: str, ports: tuple[int | None, int | None], where: str, lines: int = 25
    ) -> BrokerStartError:
        """Explain why the broker exited during startup, with the last lines of its logs.

        Args:
            host: Address it was to bind.
            ports: Its client and controller ports.
            where: Its data directory and logs, for the reader.
            lines: How many log lines to show.

        Returns:
            A PortInUseError if a port was taken, else a BrokerStartError.
        """
        tail = self.tail(lines)
        code = self.process.returncode
        if "Address already in use" in tail:
            return PortInUseError(
                f"the Kafka broker exited (code {code}) because port {ports[0]} or {ports[1]} "
                f"on {host} is already in use; stop whatever holds it or choose other ports "
                f"({where}). Last lines:\n{tail}"
            )
        return BrokerStartError(
            f"the Kafka broker exited with code {code} during startup ({where}). "
            f"Last lines:\n{tail}"
        )

    def tail(self, lines: int = 25) -> str:
        """Return the last ``lines`` lines each log received since launch, headed by its name."""
        parts: list[str] = []
        for path, offset in self.logs.items():
            with contextlib.suppress(OSError), path.open("rb") as handle:
                handle.seek(offset)
                text = handle.read().decode(errors="replace").splitlines()
                text = [line for line in text if not line.startswith(_BANNER)]
                if text:
                    parts.append(f"==> {path} <==\n" + "\n".join(text[-lines:]))
        return "\n".join(parts) or "(the logs are empty)"


def free_ports(host: str, count: int) -> list[int]:
    """Ask the kernel for ``count`` distinct free ports on ``host``."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket(_family(host))) for _ in range(count)]
        for sock in socks:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def ensure_port_free(host: str, port: int, role: str) -> None:
    """Check that ``port`` can be bound the way the JVM will bind it.

    Raises:
        PortInUseError: If another process holds it.
    """
    with socket.socket(_family(host)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Java does
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise PortInUseError(
                f"cannot start the Kafka broker: its {role} port {port} on {host} is already "
                f"in use ({exc.strerror}); stop the process holding it (`ss -ltnp "
                f"'sport = :{port}'`; a broker started by `python -m agentbus.localkafka "
                "start` stops with `python -m agentbus.localkafka stop`) or choose another port"
            ) from exc


def pid_alive(pid: int, *, marker: str = "") -> bool:
    """Tell whether process ``pid`` exists and, on Linux, has ``marker`` in its command line.

    The marker guards against a pid reused by an unrelated process.
    """
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not marker or not cmdline.parent.exists():
        return True
    with contextlib.suppress(OSError):
        return marker in cmdline.read_bytes().decode(errors="replace").replace("\0", " ")
    return False


def terminate_pid(pid: int, *, marker: str, timeout: float = 20) -> bool:
    """Stop a broker that is not our child: SIGTERM, then SIGKILL after ``timeout`` seconds.

    Returns:
        True if a matching process was found and is now gone.
    """
    if not pid_alive(pid, marker=marker):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid, marker=marker):
            return True
        time.sleep(0.1)
    _log.warning("broker pid %d ignored SIGTERM for %.0f s; killing it", pid, timeout)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
