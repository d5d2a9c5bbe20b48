"""TLS material of the secure local broker: a local CA and a broker certificate, by ``keytool``.

``keytool`` ships with every Java runtime the broker already needs, so no new
dependency is involved. On first start the launcher makes, in ``<data_dir>/tls``
(mode 700)::

    ca.pem           the CA certificate: clients' AGENTBUS_KAFKA__SECURITY__CA_FILE
    ca.p12           the CA key pair (PKCS12, 600), kept only to sign the broker certificate
    broker.p12       the broker's key and certificate chain (PKCS12, 600): its keystore
    store.password   the password of both keystores (600)
    hosts            the names in the broker certificate; other names make a new set

Keys are EC P-256; the broker certificate names ``localhost``, ``127.0.0.1``,
``::1`` and the broker's host, so clients can keep hostname checks on. The set is
built in a staging directory and renamed into place, so an interrupted first
start leaves nothing half-made.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentbus.localkafka.errors import SecuritySetupError

__all__ = ["TlsFiles", "certificate_names", "ensure_tls", "find_keytool"]

_log = logging.getLogger(__name__)
_VALIDITY_DAYS = "3650"
_KEY = ("-keyalg", "EC", "-groupname", "secp256r1", "-storetype", "PKCS12")
# keytool starts a JVM per command; these flags halve its start-up time.
_FAST_JVM = ("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC")


@dataclass(frozen=True)
class TlsFiles:
    """The TLS files of one data directory.

    Attributes:
        directory: ``<data_dir>/tls``.
    """

    directory: Path

    @property
    def ca_certificate(self) -> Path:
        """The CA certificate (PEM) that clients trust."""
        return self.directory / "ca.pem"

    @property
    def keystore(self) -> Path:
        """The broker's PKCS12 keystore."""
        return self.directory / "broker.p12"

    @property
    def password_file(self) -> Path:
        """The keystore password."""
        return self.directory / "store.password"

    def password(self) -> str:
        """The keystore password (a secret: never log it)."""
        return self.password_file.read_text().strip()


def certificate_names(host: str) -> list[str]:
    """The names the broker certificate is valid for: loopback names plus ``host``."""
    return list(dict.fromkeys(["localhost", "127.0.0.1", "::1", host]))


def find_keytool(java: str) -> str:
    """Return the ``keytool`` of the Java runtime ``java`` belongs to (else the one on PATH).

    Raises:
        SecuritySetupError: If there is none.
    """
    beside = Path(java).resolve().parent / "keytool"
    found = str(beside) if beside.is_file() else shutil.which("keytool")
    if found is None:
        raise SecuritySetupError(
            f"the secure broker needs `keytool` to make its TLS certificate, and none is "
            f"next to {java} or on PATH; install a full Java runtime (it ships keytool)"
        )
    return found


def ensure_tls(keytool: str, directory: Path, host: str) -> TlsFiles:
    """Make the CA and the broker certificate unless ``directory`` already has them for ``host``.

    Args:
        keytool: The ``keytool`` executable.
        directory: Where the files live (``<data_dir>/tls``).
        host: The broker's address, added to the certificate's names.

    Returns:
        The files, ready for the broker and its clients.

    Raises:
        SecuritySetupError: If ``keytool`` fails; the message ends with its output.
    """
    files = TlsFiles(directory)
    names = "\n".join(certificate_names(host)) + "\n"
    stamp = directory / "hosts"
    if stamp.is_file() and stamp.read_text() == names and files.keystore.is_file():
        return files
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tls-", dir=directory.parent))  # mode 700
    try:
        _generate(keytool, TlsFiles(staging), certificate_names(host))
        (staging / "hosts").write_text(names)
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _log.info("made a local CA and a broker certificate in %s", directory)
    return files


def _generate(keytool: str, files: TlsFiles, names: Sequence[str]) -> None:
    staging = files.directory
    files.password_file.write_text(secrets.token_urlsafe(24) + "\n")
    files.password_file.chmod(0o600)
    ca_store, csr, signed = staging / "ca.p12", staging / "broker.csr", staging / "broker.pem"
    ca = ("-keystore", str(ca_store), "-storepass:file", str(files.password_file))
    broker = ("-keystore", str(files.keystore), "-storepass:file", str(files.password_file))
    san = ",".join(f"{'ip' if _is_ip(name) else 'dns'}:{name}" for name in names)
    # Rounds of commands that do not depend on each other run in parallel.
    rounds: list[list[tuple[str, ...]]] = [
        [
            ("-genkeypair", "-alias", "ca", *_KEY, *ca, "-dname", "CN=agentbus local CA",
             "-ext", "bc:c=ca:true", "-ext", "ku:c=keyCertSign,cRLSign",
             "-validity", _VALIDITY_DAYS),
            ("-genkeypair", "-alias", "broker", *_KEY, *broker, "-dname", "CN=localhost",
             "-validity", _VALIDITY_DAYS),
        ],
        [
            ("-exportcert", "-rfc", "-alias", "ca", *ca, "-file", str(files.ca_certificate)),
            ("-certreq", "-alias", "broker", *broker, "-file", str(csr)),
        ],
        [
            ("-gencert", "-rfc", "-alias", "ca", *ca, "-infile", str(csr), "-outfile",
             str(signed), "-validity", _VALIDITY_DAYS, "-ext", f"SAN={san}",
             "-ext", "ku:c=digitalSignature", "-ext", "eku=serverAuth"),
            ("-importcert", "-noprompt", "-alias", "ca", *broker, "-file",
             str(files.ca_certificate)),
        ],
        [("-importcert", "-alias", "broker", *broker, "-file", str(signed))],
    ]  # fmt: skip
    for commands in rounds:
        _run_parallel(keytool, commands)
    csr.unlink()
    signed.unlink()
    for secret in (ca_store, files.keystore):
        secret.chmod(0o600)
    files.ca_certificate.chmod(0o644)


def _run_parallel(keytool: str, commands: list[tuple[str, ...]]) -> None:
    running = [
        (
            args[0],
            subprocess.Popen(  # noqa: S603 - the JDK's keytool, fixed arguments, no shell
                [keytool, *_FAST_JVM, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
        for args in commands
    ]
    failures = []
    for command, process in running:
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if process.returncode != 0:
            failures.append(f"keytool {command} failed ({process.returncode}): {output.strip()}")
    if failures:
        raise SecuritySetupError(
            "could not make the secure broker's TLS certificate; fix the cause below or "
            "delete the tls folder of the data directory:\n" + "\n".join(failures)
        )


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
