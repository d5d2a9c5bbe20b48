"""SCRAM (RFC 5802) for the local broker: credentials for ``StorageTool`` and a client.

Kafka's ``StorageTool format --add-scram`` accepts a user's *salted* password
instead of the password itself, so the launcher computes it here and the
password never reaches a command line or a file the JVM reads. The client half
lets the readiness probe log in over SASL/SCRAM-SHA-512 with only the standard
library. Both halves take the hash as a parameter so the RFC 7677 test vectors
(SHA-256) can check them; the broker uses SHA-512.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

__all__ = ["MECHANISM", "ScramClient", "ScramCredential", "ScramError"]

MECHANISM = "SCRAM-SHA-512"
"""The one SASL mechanism of the secure listener."""

_HASH = "sha512"
_ITERATIONS = 4096  # Kafka's minimum for SCRAM-SHA-512, and its default


class ScramError(Exception):
    """The server's SCRAM messages are malformed or its signature is wrong."""


@dataclass(frozen=True)
class ScramCredential:
    """What the broker needs to know about one password: salt, iterations, salted password.

    Attributes:
        salt: Random bytes mixed into the password.
        iterations: PBKDF2 rounds.
        salted_password: ``PBKDF2(password, salt, iterations)``; it lets its holder log in
            to this broker, so treat it as a secret (it is not shown by ``repr``).
    """

    salt: bytes
    iterations: int
    salted_password: bytes = field(repr=False)

    @classmethod
    def derive(
        cls,
        password: str,
        *,
        salt: bytes | None = None,
        iterations: int = _ITERATIONS,
        hash_name: str = _HASH,
    ) -> ScramCredential:
        """Salt and hash ``password`` (a fresh random salt unless one is given)."""
        salt = secrets.token_bytes(32) if salt is None else salt
        salted = hashlib.pbkdf2_hmac(hash_name, password.encode(), salt, iterations)
        return cls(salt, iterations, salted)

    def stored_key(self, hash_name: str = _HASH) -> bytes:
        """``H(HMAC(salted password, "Client Key"))``: what the server stores to check a proof."""
        client_key = hmac.digest(self.salted_password, b"Client Key", hash_name)
        return hashlib.new(hash_name, client_key).digest()

    def storage_argument(self, user: str) -> str:
        """The ``--add-scram`` value of ``StorageTool format`` that creates ``user``."""
        return (
            f"{MECHANISM}=[name={user},salt={_b64(self.salt)},"
            f"saltedpassword={_b64(self.salted_password)},iterations={self.iterations}]"
        )


class ScramClient:
    """The client side of one SCRAM exchange: first message, final message, server check.

    Args:
        user: User name.
        password: The user's password.
        hash_name: ``hashlib`` name of the hash (``sha512`` for SCRAM-SHA-512).
        nonce: Client nonce; random unless given (tests give the RFC's).
    """

    def __init__(
        self, user: str, password: str, *, hash_name: str = _HASH, nonce: str | None = None
    ) -> None:
        self._password = password
        self._hash = hash_name
        self._nonce = nonce or secrets.token_urlsafe(24)
        name = user.replace("=", "=3D").replace(",", "=2C")
        self._first_bare = f"n={name},r={self._nonce}"
        self._server_signature = b""

    def first_message(self) -> bytes:
        """The client-first message (no channel binding)."""
        return f"n,,{self._first_bare}".encode()

    def final_message(self, server_first: bytes) -> bytes:
        """The client-final message with the proof, answering the server-first message.

        Raises:
            ScramError: If the server's message lacks a field or changes our nonce.
        """
        text = server_first.decode()
        fields = dict(item.split("=", 1) for item in text.split(",") if "=" in item)
        try:
            nonce, salt, iterations = fields["r"], fields["s"], int(fields["i"])
        except (KeyError, ValueError) as exc:
            raise ScramError(f"malformed SCRAM server-first message {text!r}") from exc
        if not nonce.startswith(self._nonce):
            raise ScramError("the server's SCRAM nonce does not extend the client's")
        credential = ScramCredential.derive(
            self._password,
            salt=base64.b64decode(salt),
            iterations=iterations,
            hash_name=self._hash,
        )
        without_proof = f"c=biws,r={nonce}"
        auth_message = f"{self._first_bare},{text},{without_proof}".encode()
        client_key = hmac.digest(credential.salted_password, b"Client Key", self._hash)
        signature = hmac.digest(credential.stored_key(self._hash), auth_message, self._hash)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_key = hmac.digest(credential.salted_password, b"Server Key", self._hash)
        self._server_signature = hmac.digest(server_key, auth_message, self._hash)
        return f"{without_proof},p={_b64(proof)}".encode()

    def verify_server_final(self, server_final: bytes) -> None:
        """Check the server's signature, proving it knows the password too.

        Raises:
            ScramError: If the server reports an error or signs wrongly.
        """
        text = server_final.decode()
        if not text.startswith("v=") or not self._server_signature:
            raise ScramError(f"SCRAM server-final message is {text!r}, expected a signature")
        if not hmac.compare_digest(base64.b64decode(text[2:]), self._server_signature):
            raise ScramError("the server's SCRAM signature is wrong")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
