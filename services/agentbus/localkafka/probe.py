"""A readiness probe that speaks the Kafka protocol over a plain socket.

An open TCP port is not a ready broker: a KRaft node accepts connections
before it has caught up with its metadata and before the controller has
unfenced it, and until then it cannot host a partition. The probe therefore
sends two real requests:

1. ``ApiVersions`` (v0): proves a Kafka broker answers, and which ``Metadata``
   versions it speaks.
2. ``Metadata`` (a non-flexible version, 1 to 8): the broker lists only
   unfenced brokers, so a non-empty broker list means clients can use it.

On a secure broker the probe first wraps the socket in TLS and logs in with
SASL/SCRAM-SHA-512 (``SaslHandshake`` v1, then two ``SaslAuthenticate`` v1
rounds), as the super user.

It is synchronous and dependency-free, so the launcher can call it from any
thread, inside or outside an event loop.
"""

from __future__ import annotations

import socket
import ssl
import struct

from agentbus.localkafka.scram import MECHANISM, ScramClient, ScramError

__all__ = ["ProbeError", "broker_is_ready"]

_API_VERSIONS = 18
_METADATA = 3
_SASL_HANDSHAKE = 17
_SASL_AUTHENTICATE = 36
_MAX_METADATA_VERSION = 8  # newest version before the flexible (tagged-field) encoding
_CLIENT_ID = b"agentbus-localkafka-probe"


class ProbeError(Exception):
    """The peer answered, but not like a Kafka broker that is ready; says what was seen.

    Internal to the launcher, which turns it into a retry or a BrokerStartError.
    """


def broker_is_ready(
    host: str,
    port: int,
    *,
    timeout: float = 2.0,
    tls: ssl.SSLContext | None = None,
    scram: tuple[str, str] | None = None,
) -> bool:
    """Tell whether the broker at ``host:port`` serves clients.

    Args:
        host: Broker address.
        port: Broker (client listener) port.
        timeout: Seconds allowed for connecting and for each answer.
        tls: TLS context for an SSL or SASL_SSL listener; plaintext if None.
        scram: ``(user, password)`` to log in with SASL/SCRAM-SHA-512 first.

    Returns:
        True if the broker answered ``Metadata`` and lists at least one live broker.

    Raises:
        OSError: If the connection is refused, reset or times out, or TLS fails.
        ProbeError: If the answer is not a Kafka answer, reports an error, or the
            login is refused.
    """
    with socket.create_connection((host, port), timeout=timeout) as raw:
        if tls is None:
            return _converse(raw, scram)
        with tls.wrap_socket(raw, server_hostname=host) as sock:
            return _converse(sock, scram)


def _converse(sock: socket.socket, scram: tuple[str, str] | None) -> bool:
    try:
        if scram is not None:
            _authenticate(sock, *scram)
        return _ask_metadata(sock)
    except struct.error as exc:
        raise ProbeError(f"the answer is too short for a Kafka response ({exc})") from exc
    except ScramError as exc:
        raise ProbeError(f"SASL/SCRAM login failed: {exc}") from exc


def _authenticate(sock: socket.socket, user: str, password: str) -> None:
    """Log in with SASL/SCRAM-SHA-512."""
    answer = _call(sock, _SASL_HANDSHAKE, 1, 10, _string(MECHANISM))
    (error_code,) = struct.unpack_from(">h", answer, 0)
    if error_code:
        raise ProbeError(f"the broker refused SASL mechanism {MECHANISM} (error {error_code})")
    client = ScramClient(user, password)
    server_first = _sasl_round(sock, client.first_message(), 11, user)
    server_final = _sasl_round(sock, client.final_message(server_first), 12, user)
    client.verify_server_final(server_final)


def _sasl_round(sock: socket.socket, data: bytes, correlation: int, user: str) -> bytes:
    """Send one ``SaslAuthenticate`` (v1) and return the server's SASL bytes."""
    body = struct.pack(">i", len(data)) + data
    answer = _call(sock, _SASL_AUTHENTICATE, 1, correlation, body)
    error_code, length = struct.unpack_from(">hh", answer, 0)
    offset = 4 + max(length, 0)
    if error_code:
        reason = answer[4:offset].decode(errors="replace") if length > 0 else "no reason given"
        raise ProbeError(f"SASL login as {user!r} refused (Kafka error {error_code}): {reason}")
    (size,) = struct.unpack_from(">i", answer, offset)
    return answer[offset + 4 : offset + 4 + size]


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def _ask_metadata(sock: socket.socket) -> bool:
    """Ask for the cluster metadata and tell whether it lists a live broker."""
    low, high = _metadata_versions(sock)
    version = min(high, _MAX_METADATA_VERSION)
    if version < max(low, 1):
        raise ProbeError(f"broker speaks Metadata v{low}-v{high}, the probe needs v1-v8")
    body = struct.pack(">i", -1)  # null topic list: all topics (v1+)
    if version >= 4:  # noqa: PLR2004 - protocol version that added the flag
        body += b"\x00"  # allow_auto_topic_creation = false
    if version >= 8:  # noqa: PLR2004 - protocol version that added the flags
        body += b"\x00\x00"  # include cluster/topic authorized operations = false
    answer = _call(sock, _METADATA, version, 2, body)
    offset = 4 if version >= 3 else 0  # noqa: PLR2004 - v3 added throttle_time_ms
    (broker_count,) = struct.unpack_from(">i", answer, offset)
    return bool(broker_count > 0)


def _metadata_versions(sock: socket.socket) -> tuple[int, int]:
    answer = _call(sock, _API_VERSIONS, 0, 1, b"")
    error_code, count = struct.unpack_from(">hi", answer, 0)
    if error_code:
        raise ProbeError(f"ApiVersions answered with Kafka error code {error_code}")
    for index in range(count):
        key, low, high = struct.unpack_from(">hhh", answer, 6 + 6 * index)
        if key == _METADATA:
            return low, high
    raise ProbeError("the broker does not list the Metadata API")


def _call(sock: socket.socket, api_key: int, version: int, correlation: int, body: bytes) -> bytes:
    """Send one request (header v1) and return the response body after its correlation id."""
    header = struct.pack(">hhih", api_key, version, correlation, len(_CLIENT_ID)) + _CLIENT_ID
    request = header + body
    sock.sendall(struct.pack(">i", len(request)) + request)
    (size,) = struct.unpack(">i", _read_exactly(sock, 4))
    response = _read_exactly(sock, size)
    (answered,) = struct.unpack_from(">i", response, 0)
    if answered != correlation:
        raise ProbeError(f"expected an answer to request {correlation}, got one to {answered}")
    return response[4:]


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            raise ProbeError("the peer closed the connection mid-answer; not a Kafka broker?")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
