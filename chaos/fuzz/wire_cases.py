"""The Kafka wire's record case, and the explicit matrix of records every agent must answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final, Literal

from agentbus.names import Headers
from agentbus.wire import now_ms
from chaos.fuzz.report import _clip
from chaos.fuzz.strategies import SAFE_WEBHOOK, _dumps

__all__ = ["WireCase", "wire_matrix"]

FUZZ_ID: Final = "agentbus-fuzz-id"
"""Header on every fuzz record, so its dead letter is found even without a correlation id."""


@dataclass(frozen=True, slots=True)
class WireCase:
    """One record for ``agent.<name>.requests``, routed to the fuzzer's inbox by default."""

    value: bytes | None
    label: str = "generated"
    extra: tuple[tuple[str, bytes], ...] = ()
    """Headers after the routing ones."""
    routing: tuple[tuple[str, bytes | None], ...] = ()
    """Routing headers replaced (``None``: left out)."""
    answer: Literal["reply", "dead letter", "either"] = "reply"
    """What a clear answer is: a reply on the inbox partition; an unroutable dead letter
    (no reply is possible); or either of them, the reply on any partition of the inbox
    topic (the reply partition header names one the topic lacks, or is left out)."""
    own_key: bool = True
    """Key the record with its correlation id (else with ``key``)."""
    key: bytes | None = None

    def describe(self) -> str:
        """The record, clipped for a report line."""
        text = f"wire {self.label}: value={_clip(self.value)}"
        changed = [*self.routing, *self.extra]
        if changed:
            text += " headers=" + ", ".join(f"{k}={_clip(v, 40)}" for k, v in changed)
        return text if self.own_key else f"{text} key={_clip(self.key, 40)}"


class _Absent:
    """A field left out of the request (labelled as such in findings)."""

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Final = _Absent()
_BAD_IDS: Final[tuple[Any, ...]] = (True, 1.5, {}, [], 2**80, -1, "", None, _ABSENT)
_BAD_PARAMS: Final[tuple[Any, ...]] = ("x", [], None, 42, _ABSENT)


def _rpc(method: Any, params: Any = _ABSENT, *, rid: Any = "m1", jsonrpc: Any = "2.0") -> bytes:
    body = {"jsonrpc": jsonrpc, "id": rid, "method": method, "params": params}
    return _dumps({k: v for k, v in body.items() if v is not _ABSENT})


def _send(text: str, message_id: str | None = None, **message: Any) -> dict[str, Any]:
    return {
        "message": {
            "messageId": message_id or str(uuid.uuid4()),
            "role": "ROLE_USER",
            "parts": [{"text": text}],
            **message,
        }
    }


def wire_matrix(prefix: str = "", max_request_bytes: int = 1_048_576) -> list[WireCase]:
    """The explicit bad (and a few good) records every agent must answer clearly.

    ``prefix`` is the deployment's topic prefix; ``max_request_bytes`` the agents'
    request limit (oversized records are sent just over it).
    """
    get = _rpc("GetTask", {"id": "no-such-task"})
    again = str(uuid.uuid4())
    big = {"jsonrpc": "2.0", "id": "big", "method": "SendMessage", "params": _send("")}
    frame = len(_dumps(big))
    cases = [
        WireCase(_rpc("SendMessage", _send("TvZ 5.0.13")), "valid send (baseline)"),
        WireCase(_rpc("SendStreamingMessage", _send("TvZ 5.0.13")), "valid stream (baseline)"),
        WireCase(
            _rpc("SendMessage", {**_send("TvZ"), "configuration": {"returnImmediately": True}}),
            "non-blocking send",
        ),
        WireCase(_rpc("SendMessage", _send("PvT", again)), "send"),
        WireCase(_rpc("SendMessage", _send("PvT", again)), "the same messageId again"),
        WireCase(_rpc("SendMessage", _send("TvZ", taskId="no-such-task")), "unknown taskId"),
        WireCase(get, "unknown task"),
        WireCase(_rpc("CancelTask", {"id": "no-such-task"}), "cancel an unknown task"),
        WireCase(_rpc("SubscribeToTask", {"id": "no-such-task"}), "subscribe to an unknown task"),
        WireCase(_rpc("ListTasks", {"pageSize": 1_000_000}), "ListTasks of a million"),
        WireCase(_rpc("GetExtendedAgentCard", {}), "extended card"),
        WireCase(
            _rpc("CreateTaskPushNotificationConfig", {"taskId": "nope", "url": SAFE_WEBHOOK}),
            "push config of an unknown task",
        ),
        WireCase(b"{not json", "malformed JSON"),
        WireCase(b"\xff\xfe\x00", "invalid UTF-8"),
        WireCase(b"", "empty value"),
        WireCase(None, "null value (tombstone)"),
        WireCase(b"[" * 100_000, "JSON nested 100,000 deep"),
        WireCase(
            b'{"jsonrpc": "2.0", "id": ' + b"9" * 5000 + b', "method": "GetTask"}',
            "id of 5,000 digits",
        ),
        WireCase(b"[]", "empty batch"),
        WireCase(b"[" + get + b"]", "batch"),
        WireCase(_rpc("GetTask", {"id": "x"}, jsonrpc="1.0"), "jsonrpc 1.0"),
        WireCase(_rpc("GetTask", {"id": "x"}, jsonrpc=2.0), "jsonrpc a number"),
        WireCase(_rpc("GetTask", {"id": "x"}, jsonrpc=_ABSENT), "jsonrpc missing"),
        *(WireCase(_rpc("GetTask", {"id": "x"}, rid=rid), f"id {rid!r}") for rid in _BAD_IDS),
        *(
            WireCase(_rpc(method, {"id": "x"}), f"method {method!r}")
            for method in (_ABSENT, "", 42, None, ["GetTask"])
        ),
        *(
            WireCase(_rpc(method, {"id": "x"}), "unknown method")
            for method in ("DropAllTables", "message/send", "tasks/get", "getTask", "GetTask ")
        ),
        *(
            WireCase(_rpc(method, params), f"{method} params {params!r}")
            for method in ("GetTask", "SendMessage")
            for params in _BAD_PARAMS
        ),
        WireCase(_rpc("GetTask", {"id": 42}), "GetTask id a number"),
        WireCase(_rpc("GetTask", {"id": "x", "historyLength": "all"}), "historyLength a word"),
        WireCase(_rpc("SendMessage", {"message": {"parts": "x"}}), "parts a string"),
        WireCase(_rpc("SendMessage", {"message": {}}), "empty message"),
        WireCase(_rpc("SendMessage", {"message": "hi"}), "message a string"),
        WireCase(_rpc("SendMessage", _send("x", role="ROLE_NOPE")), "unknown role"),
        WireCase(
            _rpc("SendMessage", {"message": {**_send("x")["message"], "parts": [{"text": 5}]}}),
            "text a number",
        ),
        WireCase(
            _rpc("SendMessage", {"message": {**_send("x")["message"], "parts": [{}]}}),
            "empty part",
        ),
        WireCase(
            _rpc("SendMessage", {"message": {**_send("x")["message"], "parts": []}}), "no parts"
        ),
        *(
            WireCase(
                _dumps({**big, "params": _send("q" * (size - frame))}), f"value of {size:,} bytes"
            )
            for size in (max_request_bytes + 1, max(max_request_bytes + 1, 1_050_000))
        ),
    ]
    unroutable = [
        ((Headers.CORRELATION_ID, b"\xff\xfe"), "correlation id not UTF-8"),
        ((Headers.CORRELATION_ID, b""), "empty correlation id"),
        ((Headers.CORRELATION_ID, None), "no correlation id"),
        ((Headers.REPLY_TOPIC, None), "no reply topic"),
        ((Headers.REPLY_TOPIC, b"not-a-topic"), "reply topic not a responses topic"),
        ((Headers.REPLY_TOPIC, f"{prefix}agent.nosuch-fuzz.responses".encode()), "no such topic"),
        ((Headers.REPLY_TOPIC, b"\xff"), "reply topic not UTF-8"),
    ]
    cases += [
        WireCase(get, label, routing=(header,), answer="dead letter")
        for header, label in unroutable
    ]
    # An unreadable reply partition (not UTF-8, empty, negative, not an integer) leaves no
    # way to reply; one the inbox topic lacks, or none, gets the reply on a partition
    # Kafka picks.
    cases += [
        WireCase(
            get,
            f"reply partition {value!r}",
            routing=((Headers.REPLY_PARTITION, value),),
            answer="either" if value in (b"9999", None) else "dead letter",
        )
        for value in (b"-1", b"9999", b"abc", b"", b"\xff", b"1e3", None)
    ]
    cases += [
        WireCase(_rpc("SendMessage", _send("TvZ")), f"{name} {value!r}", extra=((name, value),))
        for name, value in (
            (Headers.DEADLINE, b"soon"),
            (Headers.DEADLINE, b""),
            (Headers.DEADLINE, b"1e3"),
            (Headers.DEADLINE, b"-1"),
            (Headers.DEADLINE, str(now_ms() - 1000).encode()),
            (Headers.DEADLINE, str(10**30).encode()),
            (Headers.DEADLINE, b"\xff"),
            (Headers.A2A_VERSION, b"0.3"),
            (Headers.A2A_VERSION, b"99.0"),
            (Headers.A2A_VERSION, b""),
            (Headers.A2A_VERSION, b"\xff"),
            (Headers.A2A_EXTENSIONS, b"urn:nope"),
            (Headers.TRACEPARENT, b"00-zz-zz-zz"),
            (Headers.TRACEPARENT, b"\xff" * 55),
            (Headers.SENDER, b"\xff"),
            ("content-type", b"text/plain"),
        )
    ]
    cases.append(
        WireCase(
            get,
            "A2A-Version twice",
            extra=((Headers.A2A_VERSION, b"1.0"), (Headers.A2A_VERSION, b"0.3")),
        )
    )
    cases.append(WireCase(get, "no key", own_key=False))
    return cases
