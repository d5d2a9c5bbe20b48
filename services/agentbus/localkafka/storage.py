"""The broker's data directory: its files, the JVM command line, and formatting storage.

Files in a data directory::

    server.properties   rendered on every start from the launcher's arguments (mode 600)
    log4j2.properties   the broker's logging setup
    server.log          the broker's log (log4j2), appended across restarts
    jvm.log             the JVM's own stdout/stderr (crashes, log4j2 status errors)
    cluster.id          the cluster id, kept so storage can be re-formatted identically
    storage/            the KRaft metadata log and the partitions (``log.dirs``)
    broker.pid, bootstrap.servers   written by the CLI for a broker it runs
    tls/, secrets/, scram-users.json   a secure broker's, see :mod:`agentbus.localkafka.security`
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentbus.localkafka.config import new_cluster_id
from agentbus.localkafka.errors import BrokerStartError

__all__ = ["DataDir", "format_storage", "java_command"]

_log = logging.getLogger(__name__)
_TAIL_LINES = 25


@dataclass(frozen=True)
class DataDir:
    """Paths inside one broker data directory.

    Attributes:
        root: The directory itself (absolute).
    """

    root: Path

    @property
    def server_properties(self) -> Path:
        """The broker configuration."""
        return self.root / "server.properties"

    @property
    def log4j2_properties(self) -> Path:
        """The logging configuration."""
        return self.root / "log4j2.properties"

    @property
    def server_log(self) -> Path:
        """The broker log."""
        return self.root / "server.log"

    @property
    def jvm_log(self) -> Path:
        """The JVM's stdout and stderr."""
        return self.root / "jvm.log"

    @property
    def storage(self) -> Path:
        """Kafka's ``log.dirs``."""
        return self.root / "storage"


def java_command(java: str, libs: Path, *, heap: str, data: DataDir) -> list[str]:
    """Return the start of a JVM command line with the Kafka jars and log4j2 setup.

    Args:
        java: The ``java`` executable.
        libs: Directory of the jars (``<libs>/*`` is the classpath).
        heap: Maximum heap, e.g. ``512m``.
        data: The data directory whose ``log4j2.properties`` is used.

    Returns:
        The arguments; append a main class and its arguments.
    """
    return [
        java,
        f"-Xmx{heap}",
        # The JVM settings Kafka's own start script uses (KAFKA_JVM_PERFORMANCE_OPTS).
        "-server",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:InitiatingHeapOccupancyPercent=35",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={data.log4j2_properties}",
        "-cp",
        f"{libs}/*",
    ]


def format_storage(java: str, libs: Path, data: DataDir, *, scram: Sequence[str] = ()) -> None:
    """Format KRaft storage unless already formatted, reusing the recorded cluster id.

    Args:
        java: The ``java`` executable.
        libs: Directory of the jars.
        data: The data directory; its ``server.properties`` must be written already.
        scram: ``--add-scram`` values creating SCRAM users. They are secrets, so the
            tool's arguments then go through a JVM argument file (mode 600, deleted
            after use) rather than the command line other local users can read.

    Raises:
        BrokerStartError: If Kafka's ``StorageTool`` fails; the message ends with its output.
    """
    if (data.storage / "meta.properties").is_file():
        return
    id_file = data.root / "cluster.id"
    cluster_id = id_file.read_text().strip() if id_file.is_file() else new_cluster_id()
    id_file.write_text(cluster_id + "\n")
    _log.info("formatting storage in %s (cluster id %s)…", data.storage, cluster_id)
    tool = [
        "kafka.tools.StorageTool",
        "format",
        *("-t", cluster_id, "-c", str(data.server_properties)),
        "--ignore-formatted",
        *(part for value in scram for part in ("--add-scram", value)),
    ]
    argfile = data.root / "format.args"
    if scram:
        descriptor = os.open(argfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write("\n".join(_argfile_quote(arg) for arg in tool) + "\n")
        tool = [f"@{argfile}"]
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [*java_command(java, libs, heap="256m", data=data), *tool],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        argfile.unlink(missing_ok=True)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-_TAIL_LINES:])
        raise BrokerStartError(
            f"formatting Kafka storage in {data.storage} failed with code "
            f"{result.returncode}; fix the cause below, or delete {data.root} to start "
            f"afresh:\n{tail}"
        )


def _argfile_quote(arg: str) -> str:
    """Quote one argument for a JVM ``@argfile`` (backslash escapes inside quotes)."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
