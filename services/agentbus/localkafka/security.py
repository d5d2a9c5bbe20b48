"""The secure mode of the local broker: SCRAM users, TLS and ACLs (:class:`SecurityOptions`).

With ``LocalKafka(..., security=SecurityOptions(...))`` the broker's one client
listener is SASL_SSL with SCRAM-SHA-512, and ACLs are enforced by Kafka's
``StandardAuthorizer`` with ``allow.everyone.if.no.acl.found=false``: a user may
do only what an ACL allows, except the super user, who may do everything. The
controller listener stays on loopback, authenticated with SASL/PLAIN by one
internal user that only the broker knows.

Files added to the data directory (secrets mode 600, folders 700)::

    tls/                  CA and broker certificate, see :mod:`agentbus.localkafka.tls`
    secrets/<user>.password   each user's password: clients' ..._SECURITY__PASSWORD_FILE
    scram-users.json      salt and stored key of each user the storage was formatted with

SCRAM users can only be created when the storage is formatted (first start).
A later start with other users or passwords is refused with a clear message,
since the broker would otherwise silently keep the old ones.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
import secrets
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from agentbus.localkafka.config import BrokerSecurity
from agentbus.localkafka.errors import LocalKafkaError, SecuritySetupError
from agentbus.localkafka.scram import ScramCredential
from agentbus.localkafka.storage import DataDir
from agentbus.localkafka.tls import TlsFiles, ensure_tls, find_keytool

__all__ = [
    "SecureBroker",
    "SecureClients",
    "SecurityOptions",
    "password_file",
    "prepare_security",
    "write_secret",
]

_USER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class SecurityOptions:
    """How a secure local broker authenticates and authorizes.

    Example::

        options = SecurityOptions.random_passwords("admin", "data", "cs")
        with LocalKafka(path, security=options) as kafka:
            settings = kafka.client_security("data")   # AGENTBUS_KAFKA__SECURITY__* values

    Attributes:
        users: SCRAM-SHA-512 users to create, name -> password (not shown by ``repr``).
        super_user: The user allowed everything (inter-broker traffic, topic and ACL
            administration); must be one of ``users``.
        acls: Whether to enforce ACLs; if False, every authenticated user may do anything.

    Raises:
        ValueError: If a name or password cannot be used, or the super user is not a user.
    """

    users: Mapping[str, str] = field(repr=False)
    super_user: str = "admin"
    acls: bool = True

    def __post_init__(self) -> None:
        for name, password in self.users.items():
            if not _USER_RE.fullmatch(name):
                raise ValueError(
                    f"SCRAM user name {name!r} is not usable: use 1-100 letters, digits, "
                    "'.', '_' or '-', starting with a letter or digit"
                )
            if not password or not password.isprintable():
                raise ValueError(f"the password of SCRAM user {name!r} is empty or unprintable")
        if self.super_user not in self.users:
            raise ValueError(
                f"super_user={self.super_user!r} is not among the users "
                f"{sorted(self.users)}; add it with a password"
            )
        object.__setattr__(self, "users", MappingProxyType(dict(self.users)))

    @classmethod
    def random_passwords(
        cls, *names: str, super_user: str = "admin", acls: bool = True
    ) -> SecurityOptions:
        """Options for ``super_user`` and ``names``, each with a fresh random password."""
        wanted = dict.fromkeys([super_user, *names])
        return cls({n: secrets.token_urlsafe(24) for n in wanted}, super_user, acls)


@dataclass(frozen=True)
class SecureBroker:
    """Everything one start of a secure broker needs, made by :func:`prepare_security`.

    Attributes:
        broker: Facts for ``server.properties`` (which then holds secrets).
        storage_args: ``--add-scram`` values for ``StorageTool format`` (secrets).
        tls: The TLS files.
        super_user: The super user, who the readiness probe logs in as.
        super_password: Its password.
    """

    broker: BrokerSecurity
    storage_args: tuple[str, ...] = field(repr=False)
    tls: TlsFiles
    super_user: str
    super_password: str = field(repr=False)

    def probe_args(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~agentbus.localkafka.probe.broker_is_ready`."""
        context = ssl.create_default_context(cafile=str(self.tls.ca_certificate))
        return {"tls": context, "scram": (self.super_user, self.super_password)}


@dataclass(frozen=True)
class SecureClients:
    """What clients of a secure broker need to log in, from its data directory.

    Attributes:
        root: The broker's data directory.
        options: Its security options.
    """

    root: Path
    options: SecurityOptions

    @classmethod
    def of(cls, root: Path, options: SecurityOptions | None) -> SecureClients:
        """The clients' view of the broker in ``root``.

        Raises:
            LocalKafkaError: If the broker is plaintext (``options`` is None).
        """
        if options is None:
            raise LocalKafkaError(
                f"the broker in {root} is plaintext; pass security=SecurityOptions(...)"
            )
        return cls(root, options)

    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM) clients trust."""
        return TlsFiles(self.root / "tls").ca_certificate

    def settings(self, user: str) -> dict[str, str]:
        """``AGENTBUS_KAFKA__SECURITY__*`` values (lower case) for a client logging in as ``user``.

        Raises:
            LocalKafkaError: If there is no such user.
        """
        if user not in self.options.users:
            raise LocalKafkaError(
                f"no SCRAM user {user!r}; the users are {sorted(self.options.users)}"
            )
        return {
            "mode": "scram",
            "ca_file": str(self.ca_file),
            "username": user,
            "password_file": str(password_file(self.root, user)),
        }


def prepare_security(
    options: SecurityOptions, data: DataDir, *, java: str, host: str
) -> SecureBroker:
    """Make or check the TLS files, the users' password files and the SCRAM users.

    Args:
        options: The users and the ACL switch.
        data: The broker's data directory (it must exist).
        java: The ``java`` executable whose ``keytool`` makes the certificates.
        host: The broker's address, named in its certificate.

    Returns:
        What the launcher needs for this start.

    Raises:
        SecuritySetupError: If ``keytool`` fails, or the storage was formatted with other
            SCRAM users than ``options`` names.
    """
    tls = ensure_tls(find_keytool(java), data.root / "tls", host)
    credentials = {name: ScramCredential.derive(pw) for name, pw in options.users.items()}
    record = data.root / "scram-users.json"
    if (data.storage / "meta.properties").is_file():
        _check_users(record, options.users, data)
    else:
        write_secret(record, json.dumps(_describe(credentials), indent=2, sort_keys=True))
    for name, pw in options.users.items():
        write_secret(password_file(data.root, name), pw + "\n")
    super_password = options.users[options.super_user]
    return SecureBroker(
        broker=BrokerSecurity(
            keystore=tls.keystore,
            keystore_password=tls.password(),
            truststore=tls.ca_certificate,
            super_user=options.super_user,
            super_password=super_password,
            controller_password=secrets.token_urlsafe(24),
            authorizer=options.acls,
        ),
        storage_args=tuple(c.storage_argument(n) for n, c in sorted(credentials.items())),
        tls=tls,
        super_user=options.super_user,
        super_password=super_password,
    )


def password_file(root: Path, user: str) -> Path:
    """Where the data directory ``root`` keeps ``user``'s password."""
    return root / "secrets" / f"{user}.password"


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable only by its owner (folders made mode 700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through os.open
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _describe(credentials: Mapping[str, ScramCredential]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "salt": base64.b64encode(c.salt).decode(),
            "iterations": c.iterations,
            "stored_key": base64.b64encode(c.stored_key()).decode(),
        }
        for name, c in credentials.items()
    }


def _check_users(record: Path, users: Mapping[str, str], data: DataDir) -> None:
    """Refuse ``users`` unless they are exactly those the storage was formatted with."""
    try:
        known: dict[str, dict[str, Any]] = json.loads(record.read_text())
    except (OSError, ValueError):
        known = {}
    changed = [
        name
        for name in sorted(users.keys() & known.keys())
        if not _matches(users[name], known[name])
    ]
    problems = [
        *_listed("not created", users.keys() - known.keys()),
        *_listed("no longer given", known.keys() - users.keys()),
        *_listed("with another password", changed),
    ]
    if problems:
        raise SecuritySetupError(
            f"the Kafka storage in {data.storage} was formatted with other SCRAM users "
            f"({'; '.join(problems)}), and users can only be created when it is formatted; "
            f"pass the same users and passwords, or delete {data.root} to start afresh"
        )


def _matches(password: str, known: Mapping[str, Any]) -> bool:
    try:
        salt, iterations = base64.b64decode(known["salt"]), int(known["iterations"])
        stored = base64.b64decode(known["stored_key"])
    except (KeyError, TypeError, ValueError):
        return False
    credential = ScramCredential.derive(password, salt=salt, iterations=iterations)
    return hmac.compare_digest(credential.stored_key(), stored)


def _listed(what: str, names: Iterable[str]) -> list[str]:
    names = sorted(names)
    return [f"{what}: {', '.join(names)}"] if names else []
