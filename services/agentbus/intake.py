"""Reading a request record: a valid JSON-RPC A2A call, or why it is not one.

Checked in the order the SDK's HTTP binding checks them, with the same JSON-RPC
error codes, so a caller gets the same answer over both transports; but here each
refusal also names a *reason*, because a request that cannot be processed at all
goes to the agent's dead-letter topic. Pure: no Kafka, no asyncio.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from a2a.server.routes.jsonrpc_dispatcher import JsonRpcDispatcher
from google.protobuf.json_format import ParseDict

__all__ = ["SEND_METHODS", "Problem", "Request", "read_request"]

SEND_METHODS: Final = frozenset({"SendMessage", "SendStreamingMessage"})
STREAM_METHODS: Final = frozenset({"SendStreamingMessage", "SubscribeToTask"})


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a record cannot be processed: the JSON-RPC error to answer, and a DLQ reason."""

    code: int
    message: str
    reason: str
    request_id: str | int | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """A valid A2A JSON-RPC call."""

    request_id: str | int | None
    method: str
    params: dict[str, Any]

    @property
    def message(self) -> dict[str, Any]:
        """The message of a send (empty for other methods)."""
        message = self.params.get("message") if self.method in SEND_METHODS else None
        return message if isinstance(message, dict) else {}

    @property
    def message_id(self) -> str | None:
        """The A2A ``messageId`` of a send: the idempotency key of the request."""
        value = self.message.get("messageId")
        return value if isinstance(value, str) and value else None

    @property
    def named_task_id(self) -> str | None:
        """The task a send continues, if its message names one."""
        value = self.message.get("taskId")
        return value if isinstance(value, str) and value else None

    @property
    def streaming(self) -> bool:
        """Whether the answer is a stream of events."""
        return self.method in STREAM_METHODS

    @property
    def non_blocking(self) -> bool:
        """Whether a send asked to return at once (``returnImmediately``)."""
        config = self.params.get("configuration")
        return bool(isinstance(config, dict) and config.get("returnImmediately"))


def _request_id(body: Any) -> str | int | None:
    if isinstance(body, dict):
        rid = body.get("id")
        if isinstance(rid, str | int) and not isinstance(rid, bool):
            return rid
    return None


def _envelope(body: Any) -> Problem | None:
    rid = _request_id(body)
    if not isinstance(body, dict):
        what = "a batch" if isinstance(body, list) else type(body).__name__
        return Problem(
            -32600, f"Invalid request: expected one JSON-RPC object, got {what}", "invalid-jsonrpc"
        )
    if body.get("jsonrpc") != "2.0":
        return Problem(
            -32600, "Invalid request: 'jsonrpc' must be exactly '2.0'", "invalid-jsonrpc", rid
        )
    if body.get("id") is not None and rid is None:
        return Problem(
            -32600, "Invalid request: id must be a string, integer or null", "invalid-jsonrpc"
        )
    method = body.get("method")
    if not isinstance(method, str) or not method:
        return Problem(
            -32600, "Invalid request: 'method' must be a non-empty string", "invalid-jsonrpc", rid
        )
    return None


def _params(method: str, params: Any, rid: str | int | None) -> Problem | None:
    model = JsonRpcDispatcher.METHOD_TO_MODEL.get(method)
    if model is None:
        return Problem(-32601, f"Method not found: {method[:100]!r}", "unknown-method", rid)
    if not isinstance(params, dict):
        return Problem(-32602, "Invalid params: 'params' must be an object", "invalid-params", rid)
    try:
        ParseDict(params, model(), ignore_unknown_fields=True)
    except Exception as exc:  # noqa: BLE001 - protobuf raises several kinds for bad params
        return Problem(-32602, f"Invalid params for {method}: {exc}"[:500], "invalid-params", rid)
    return None


def read_request(value: bytes | None, *, limit: int) -> Request | Problem:
    """The call a record carries, or the problem that stops it from being processed."""
    raw = value or b""
    if len(raw) > limit:
        return Problem(
            -32600, f"Payload too large: {len(raw)} bytes, the limit is {limit}", "oversized"
        )
    try:
        body = json.loads(raw)
    except RecursionError:
        return Problem(-32700, "Parse error: JSON nested too deeply", "malformed-json")
    except ValueError as exc:  # not UTF-8, not JSON, or a number too long to convert
        return Problem(-32700, f"Parse error: {exc}"[:500], "malformed-json")
    problem = _envelope(body)
    if problem is None:
        rid, method = _request_id(body), str(body["method"])
        params = body.get("params", {})
        problem = _params(method, params, rid)
        if problem is None:
            return Request(request_id=rid, method=method, params=params)
    return problem
