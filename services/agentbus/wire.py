"""The Kafka wire format of A2A: JSON-RPC 2.0 values with transport facts in headers.

A record's value is exactly the JSON-RPC 2.0 object the A2A HTTP JSON-RPC binding
carries in a request or response body. Everything about transport travels in
headers (:class:`agentbus.names.Headers`). A unary reply is one record with the
final marker; a stream is a sequence of records numbered from 0, ended by a record
with the final marker and an empty value (or by an error response, which is final
too). Pure functions: no Kafka client, no asyncio.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from a2a.client.errors import A2AClientError
from a2a.utils.errors import JSON_RPC_ERROR_CODE_MAP, A2AError

from agentbus.errors import DeadlineExceededError, ReplyProtocolError
from agentbus.names import Headers

__all__ = [
    "DEADLINE_EXCEEDED_CODE",
    "PAYLOAD_TOO_LARGE_CODE",
    "Reply",
    "deadline_error_response",
    "decode_headers",
    "encode_headers",
    "error_from_response",
    "error_response",
    "now_ms",
    "parse_reply",
    "request_id_of",
]

DEADLINE_EXCEEDED_CODE: Final = -32090
"""JSON-RPC server error: the request reached the agent after its deadline."""

PAYLOAD_TOO_LARGE_CODE: Final = -32600
"""Oversized requests are invalid requests, as the SDK's HTTP binding answers them."""

_ERROR_INFO_TYPE: Final = "type.googleapis.com/google.rpc.ErrorInfo"
_CODE_TO_A2A_ERROR: Final = {code: kind for kind, code in JSON_RPC_ERROR_CODE_MAP.items()}


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds, the unit of the deadline header."""
    return time.time_ns() // 1_000_000


def encode_headers(headers: Mapping[str, str | int | None]) -> list[tuple[str, bytes]]:
    """Kafka headers from a mapping, skipping ``None`` values."""
    return [(k, str(v).encode()) for k, v in headers.items() if v is not None]


def decode_headers(raw: Iterable[tuple[str, bytes | None]] | None) -> dict[str, str]:
    """A mapping from Kafka headers; undecodable values become empty strings."""
    result: dict[str, str] = {}
    for key, value in raw or ():
        if value is None:
            result[key] = ""
            continue
        try:
            result[key] = value.decode()
        except UnicodeDecodeError:
            result[key] = ""
    return result


def request_id_of(body: Any) -> str | int | None:
    """The JSON-RPC id of a decoded request, or ``None`` if it has no valid id."""
    if isinstance(body, dict):
        rid = body.get("id")
        if isinstance(rid, str | int) and not isinstance(rid, bool):
            return rid
    return None


def error_response(
    request_id: str | int | None, code: int, message: str, data: Any = None
) -> dict[str, Any]:
    """A JSON-RPC 2.0 error response object."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def deadline_error_response(
    request_id: str | int | None, agent: str, late_ms: int
) -> dict[str, Any]:
    """The reply to a request that reached ``agent`` ``late_ms`` after its deadline."""
    return error_response(
        request_id,
        DEADLINE_EXCEEDED_CODE,
        f"deadline exceeded: the request reached agent '{agent}' {late_ms} ms after its "
        "deadline and was not processed",
        {"agent": agent, "late_ms": late_ms},
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """One reply record as the caller sees it."""

    sequence: int
    final: bool
    body: dict[str, Any] | None
    """The JSON-RPC response object, or ``None`` for the end-of-stream marker."""


def parse_reply(value: bytes | None, headers: Mapping[str, str], *, agent: str) -> Reply:
    """Decode a reply record, raising :class:`ReplyProtocolError` if it breaks the contract."""
    try:
        sequence = int(headers.get(Headers.SEQUENCE, "0"))
    except ValueError as exc:
        raise ReplyProtocolError(
            f"reply from agent '{agent}' has a non-numeric {Headers.SEQUENCE} header", agent=agent
        ) from exc
    final = headers.get(Headers.FINAL) == "1"
    if not value:
        if not final:
            raise ReplyProtocolError(
                f"reply from agent '{agent}' is empty but not marked final", agent=agent
            )
        return Reply(sequence, final, None)
    try:
        body = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReplyProtocolError(
            f"reply from agent '{agent}' is not JSON: {exc}", agent=agent
        ) from exc
    if not isinstance(body, dict) or ("result" not in body and "error" not in body):
        raise ReplyProtocolError(
            f"reply from agent '{agent}' is not a JSON-RPC 2.0 response object", agent=agent
        )
    return Reply(sequence, final, body)


def error_from_response(error: Any, *, agent: str) -> Exception:
    """The exception a caller gets for a JSON-RPC ``error`` member from ``agent``.

    A2A error codes map to the a2a-sdk exception the HTTP transport raises for them,
    so callers handle errors alike over both transports.
    """
    if not isinstance(error, dict):
        return ReplyProtocolError(
            f"reply from agent '{agent}' has an error that is not an object: {error!r}",
            agent=agent,
        )
    code = error.get("code")
    message = str(error.get("message", error))
    if code == DEADLINE_EXCEEDED_CODE:
        return DeadlineExceededError(message, agent=agent)
    data: dict[str, Any] | None = None
    raw = error.get("data")
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and item.get("@type") == _ERROR_INFO_TYPE:
                data = item.get("metadata") or None
                break
    kind: type[A2AError] | None = _CODE_TO_A2A_ERROR.get(code) if isinstance(code, int) else None
    if kind is not None:
        return kind(message, data=data)
    return A2AClientError(f"JSON-RPC Error {code}: {message}")
