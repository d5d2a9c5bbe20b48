"""The local single-node Apache Kafka broker, run as a child JVM: :class:`LocalKafka`.

The files it keeps in ``data_dir`` are listed in :mod:`agentbus.localkafka.storage`,
and those of a secure broker (SASL_SSL, SCRAM, ACLs) in :mod:`agentbus.localkafka.security`.

The JVM stops with its owner on ``stop()``, on leaving a ``with`` block, when
the object is garbage-collected and at interpreter exit; if the owner is
killed outright, a watchdog stops it (see :mod:`agentbus.localkafka.process`).
"""

from __future__ import annotations

import logging
import re
import time
import warnings
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType

from agentbus.localkafka.errors import BrokerStartError, LocalKafkaError
from agentbus.localkafka.jars import default_cache_dir, resolve_jars
from agentbus.localkafka.prepare import prepare_data_dir
from agentbus.localkafka.probe import ProbeError, broker_is_ready
from agentbus.localkafka.process import BrokerProcess, ensure_port_free, free_ports
from agentbus.localkafka.security import SecureBroker, SecureClients, SecurityOptions
from agentbus.localkafka.storage import DataDir, java_command
from agentbus.localkafka.toolchain import find_java
from agentbus.versions import KAFKA_VERSION

__all__ = ["LocalKafka"]

_log = logging.getLogger(__name__)
_HEAP_RE = re.compile(r"\d+[kKmMgG]?")
_TAIL_LINES = 25


class LocalKafka:
    """A single-node KRaft Apache Kafka broker (broker + controller) on loopback.

    Not thread-safe: one thread (or one event loop) should own an instance.

    Example::

        with LocalKafka(Path(".local/kafka")) as kafka:
            print(kafka.bootstrap_servers)

        secure = SecurityOptions.random_passwords("data", "cs")  # and "admin", the super user
        with LocalKafka(Path(".local/kafka-secure"), security=secure) as kafka:
            use(kafka.bootstrap_servers, kafka.client_security("data"))

    Args:
        data_dir: Folder for the broker's storage, configuration and logs.
        host: Address the broker binds and advertises.
        port: Client port; None picks a free one on first start and keeps it.
        controller_port: KRaft controller port; None picks a free one likewise.
        cache_dir: Jar cache root; :func:`~agentbus.localkafka.jars.default_cache_dir` if None.
        heap: JVM maximum heap, e.g. ``512m`` or ``1g``.
        broker_config: ``server.properties`` settings that win over the defaults.
        java: ``java`` executable; ``$JAVA_HOME/bin/java`` or ``java`` on PATH if None.
        mvn: ``mvn`` executable used once to fetch the jars; ``mvn`` on PATH if None.
        security: Make the client listener SASL_SSL with these SCRAM users and enforce
            ACLs (see :mod:`agentbus.localkafka.security`); plaintext if None.

    Raises:
        ValueError: If ``heap`` is not a JVM memory size.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        controller_port: int | None = None,
        cache_dir: Path | None = None,
        heap: str = "512m",
        broker_config: Mapping[str, str] | None = None,
        java: str | None = None,
        mvn: str | None = None,
        security: SecurityOptions | None = None,
    ) -> None:
        if not _HEAP_RE.fullmatch(heap):
            raise ValueError(f"heap={heap!r} is not a JVM memory size; write it like '512m'")
        self.data_dir = Path(data_dir).absolute()
        self._files = DataDir(self.data_dir)
        self.host = host
        self.port = port
        self.controller_port = controller_port
        self.cache_dir = cache_dir
        self.heap = heap
        self.broker_config = dict(broker_config or {})
        self._java = java
        self._mvn = mvn
        self.security = security
        self._secure: SecureBroker | None = None
        self._broker: BrokerProcess | None = None
        self._finalizer: weakref.finalize[[float], LocalKafka] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """Address clients connect to, ``host:port``.

        Raises:
            LocalKafkaError: If no port was given and the broker was never started.
        """
        if self.port is None:
            raise LocalKafkaError("the broker's port is picked on start(); call start() first")
        return f"{self.host}:{self.port}"

    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM) of a secure broker, made on its first start.

        Raises:
            LocalKafkaError: If the broker is plaintext.
        """
        return SecureClients.of(self.data_dir, self.security).ca_file

    @property
    def users(self) -> Mapping[str, str]:
        """SCRAM users of a secure broker, name -> password (empty for a plaintext one)."""
        return self.security.users if self.security else MappingProxyType({})

    def client_security(self, user: str) -> dict[str, str]:
        """The ``AGENTBUS_KAFKA__SECURITY__*`` values for ``user``, password as a 600 file.

        Raises:
            LocalKafkaError: If the broker is plaintext or has no such user.
        """
        return SecureClients.of(self.data_dir, self.security).settings(user)

    @property
    def log_path(self) -> Path:
        """The broker's log file (log4j2)."""
        return self._files.server_log

    @property
    def jvm_log_path(self) -> Path:
        """The file receiving the JVM's stdout and stderr."""
        return self._files.jvm_log

    @property
    def pid(self) -> int | None:
        """Process id of the broker JVM, or None if it is not running."""
        return self._broker.process.pid if self.is_running and self._broker else None

    @property
    def is_running(self) -> bool:
        """Whether the broker process this object started is alive."""
        return self._broker is not None and self._broker.running

    def start(self, timeout: float = 90) -> LocalKafka:
        """Fetch the jars if needed, format storage on first use, launch and wait until ready.

        Does nothing if the broker is already running.

        Args:
            timeout: Seconds the launched broker has to become ready. The one-off
                Maven download is not counted (see ``resolve_jars``).

        Returns:
            This object, ready for clients.

        Raises:
            JavaNotFoundError: If no Java 17+ is available.
            MavenNotFoundError: If the jars must be fetched and ``mvn`` is missing.
            JarResolutionError: If Maven fails.
            PortInUseError: If a port is taken.
            BrokerStartError: If the broker exits or is not ready within ``timeout``.
        """
        if self.is_running:
            return self
        self._forget()
        java = find_java(self._java)
        ports = self._claim_ports()
        libs = resolve_jars(self.cache_dir or default_cache_dir(), mvn=self._mvn)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._secure = prepare_data_dir(
            self._files,
            java=java,
            libs=libs,
            host=self.host,
            ports=ports,
            overrides=self.broker_config,
            security=self.security,
        )
        _log.info("starting broker (Apache Kafka %s, data in %s)…", KAFKA_VERSION, self.data_dir)
        self._launch(java, libs)
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.kill()
            raise
        _log.info("ready: bootstrap servers %s", self.bootstrap_servers)
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        """Block until the broker serves Kafka clients.

        Args:
            timeout: Seconds to wait.

        Raises:
            BrokerStartError: If the broker is not running, exits, or stays unready.
        """
        if self._broker is None or self.port is None:
            raise BrokerStartError(f"no broker was started in {self.data_dir}; call start()")
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        login = self._secure.probe_args() if self._secure else {}
        while True:
            if self._broker.process.poll() is not None:
                raise self._broker.exit_error(
                    host=self.host,
                    ports=(self.port, self.controller_port),
                    where=f"data {self.data_dir}; see {self.log_path} and {self.jvm_log_path}",
                    lines=_TAIL_LINES,
                )
            try:
                if broker_is_ready(self.host, self.port, timeout=2.0, **login):
                    return
                last = "the broker answers but is not yet registered with its controller"
            except (OSError, ProbeError) as exc:
                last = str(exc) or type(exc).__name__
            if time.monotonic() >= deadline:
                raise BrokerStartError(
                    f"the Kafka broker at {self.bootstrap_servers} (data {self.data_dir}) did "
                    f"not become ready within {timeout:.0f} s; last probe: {last}. Read "
                    f"{self.log_path}, or give it more time. Last lines:\n"
                    f"{self._broker.tail(_TAIL_LINES)}"
                )
            time.sleep(0.1)

    def stop(self, timeout: float = 20) -> None:
        """Shut the broker down cleanly (SIGTERM), SIGKILL it after ``timeout`` seconds.

        A no-op if it is not running.
        """
        if self._broker is not None:
            if self._broker.running:
                _log.info("stopping broker pid %d…", self._broker.process.pid)
            self._broker.terminate(timeout)
        self._forget()

    def kill(self) -> None:
        """SIGKILL the broker at once, as a crash would; a no-op if it is not running."""
        if self._broker is not None:
            self._broker.kill()
        self._forget()

    def restart(self, timeout: float = 90) -> LocalKafka:
        """Stop the broker and start it again on the same ports and data.

        Clients configured with :attr:`bootstrap_servers` reconnect by themselves.

        Returns:
            This object, ready for clients.
        """
        self.stop()
        return self.start(timeout)

    def detach(self) -> int:
        """Leave the running broker running after this object and its process are gone.

        Used by ``python -m agentbus.localkafka start``; stop it later by pid.

        Returns:
            The broker's process id.

        Raises:
            LocalKafkaError: If the broker is not running.
        """
        if self._broker is None or not self.is_running:
            raise LocalKafkaError(f"no broker is running from {self.data_dir}; nothing to detach")
        broker, self._broker = self._broker, None
        broker.disarm()
        self._forget()
        pid = broker.process.pid
        with warnings.catch_warnings():
            # Popen warns when a running child is dropped; here that is the point.
            warnings.simplefilter("ignore", ResourceWarning)
            del broker
        return pid

    def __enter__(self) -> LocalKafka:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running pid {self.pid}" if self.is_running else "stopped"
        return f"LocalKafka({str(self.data_dir)!r}, {self.host}:{self.port}, {state})"

    def _forget(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._broker is not None:
            self._broker.disarm()
            self._broker = None

    def _claim_ports(self) -> tuple[int, int]:
        """Pick the ports not given (once: restarts reuse them) and check both are free."""
        if self.port is None or self.controller_port is None:
            free = free_ports(self.host, 2)
            self.port = self.port or free[0]
            self.controller_port = self.controller_port or free[1]
        ensure_port_free(self.host, self.port, "client")
        ensure_port_free(self.host, self.controller_port, "controller")
        return self.port, self.controller_port

    def _launch(self, java: str, libs: Path) -> None:
        files = self._files
        jvm = java_command(java, libs, heap=self.heap, data=files)
        broker = BrokerProcess.launch(
            [*jvm, "kafka.Kafka", str(files.server_properties)],
            cwd=files.root,
            output=files.jvm_log,
            logs=[files.server_log, files.jvm_log],
        )
        self._broker = broker
        self._finalizer = weakref.finalize(self, broker.terminate, 20.0)
