"""Everything written to the data directory before the broker's JVM starts.

The configuration files (``server.properties`` readable only by its owner, since
a secure broker's holds passwords; ``log4j2.properties``), a secure broker's TLS
files and SCRAM users (:mod:`agentbus.localkafka.security`), and formatted
storage (:mod:`agentbus.localkafka.storage`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from agentbus.localkafka import config
from agentbus.localkafka.security import (
    SecureBroker,
    SecurityOptions,
    prepare_security,
    write_secret,
)
from agentbus.localkafka.storage import DataDir, format_storage

__all__ = ["prepare_data_dir"]


def prepare_data_dir(
    data: DataDir,
    *,
    java: str,
    libs: Path,
    host: str,
    ports: tuple[int, int],
    overrides: Mapping[str, str],
    security: SecurityOptions | None,
) -> SecureBroker | None:
    """Write the broker's files and format its storage on first use.

    Args:
        data: The data directory (it must exist).
        java: The ``java`` executable.
        libs: Directory of the Kafka jars.
        host: Address the broker binds and advertises.
        ports: The client and the controller port.
        overrides: ``server.properties`` settings that win over the defaults.
        security: The secure mode's options; plaintext if None.

    Returns:
        What the secure broker's start needs (None for a plaintext one).

    Raises:
        SecuritySetupError: If the TLS files or the SCRAM users cannot be prepared.
        BrokerStartError: If formatting the storage fails.
    """
    secure = prepare_security(security, data, java=java, host=host) if security else None
    client, control = ("SASL_SSL", "SASL_PLAINTEXT") if secure else ("PLAINTEXT", "PLAINTEXT")
    text = config.render_server_properties(
        log_dir=data.storage,
        broker=[config.Listener(client, ports[0], host, client)],
        controller=config.Listener("CONTROLLER", ports[1], host, control),
        overrides=overrides,
        security=secure.broker if secure else None,
    )
    write_secret(data.server_properties, text)
    data.log4j2_properties.write_text(config.render_log4j2(data.server_log))
    format_storage(java, libs, data, scram=secure.storage_args if secure else ())
    return secure
