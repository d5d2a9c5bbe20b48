"""Generated wire records: bytes, JSON, near-valid JSON-RPC requests, odd headers and keys."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final

from hypothesis import strategies as st

from agentbus.names import Headers
from chaos.fuzz.strategies import (
    _NAME_TEXT,
    _QUESTIONS,
    SAFE_WEBHOOK,
    _draw_mix,
    _dumps,
    _json_values,
    _mostly,
)
from chaos.fuzz.wire_cases import FUZZ_ID, WireCase, _rpc

__all__ = ["wire_inputs"]

_METHODS: Final = (
    "SendMessage",
    "SendStreamingMessage",
    "GetTask",
    "ListTasks",
    "CancelTask",
    "SubscribeToTask",
    "CreateTaskPushNotificationConfig",
    "GetTaskPushNotificationConfig",
    "ListTaskPushNotificationConfigs",
    "DeleteTaskPushNotificationConfig",
    "GetExtendedAgentCard",
)
_SENDS: Final = frozenset({"SendMessage", "SendStreamingMessage"})
_ROUTING: Final = frozenset(
    {Headers.CORRELATION_ID, Headers.REPLY_TOPIC, Headers.REPLY_PARTITION, FUZZ_ID}
)


@functools.cache
def _ids() -> st.SearchStrategy[Any]:
    return st.one_of(st.text(max_size=16), st.uuids().map(str), st.integers(), _json_values(2))


@functools.cache
def _parts() -> st.SearchStrategy[Any]:
    texts = st.sampled_from(_QUESTIONS) | st.text(max_size=30)
    return st.one_of(
        st.fixed_dictionaries({"text": texts}),
        st.fixed_dictionaries({"text": texts}),
        st.fixed_dictionaries({"data": _json_values(4)}),
        st.fixed_dictionaries(
            {"url": st.text(max_size=20)},
            optional={"mediaType": st.text(max_size=10), "filename": st.text(max_size=10)},
        ),
        st.fixed_dictionaries({"raw": st.sampled_from(["", "aGk=", "!!"]) | st.text(max_size=8)}),
        st.fixed_dictionaries({"text": st.text(max_size=8), "data": _json_values(2)}),
        _json_values(3),
    )


@functools.cache
def _message() -> st.SearchStrategy[Any]:
    roles = st.sampled_from(["ROLE_AGENT", "ROLE_UNSPECIFIED", "user", 1, -1, None])
    required = {
        "messageId": _mostly(st.uuids().map(str), st.text(max_size=8) | _json_values(2), 15),
        "role": _mostly(st.just("ROLE_USER"), roles | _json_values(2), 15),
        "parts": _mostly(st.lists(_parts(), min_size=1, max_size=3), _json_values(3), 15),
    }
    optional = {
        "taskId": _ids(),
        "contextId": _ids(),
        "metadata": _json_values(4),
        "extensions": st.lists(st.text(max_size=10), max_size=2) | _json_values(2),
        "referenceTaskIds": st.lists(st.text(max_size=8), max_size=2),
    }
    more = _mostly(st.just({}), st.fixed_dictionaries({}, optional=optional), 25)
    full = st.tuples(st.fixed_dictionaries(required), more).map(lambda p: {**p[0], **p[1]})
    dropped = st.tuples(full, st.sampled_from(sorted(required))).map(
        lambda pair: {k: v for k, v in pair[0].items() if k != pair[1]}
    )
    return _mostly(full, dropped | _json_values(3), 15)


@functools.cache
def _params(method: str) -> st.SearchStrategy[Any]:
    """Params for ``method``: mostly its own shape with random values, sometimes anything."""
    common = {"tenant": st.text(max_size=8), "metadata": _json_values(3)}
    if method in _SENDS:
        push = st.fixed_dictionaries(
            {"url": st.sampled_from([SAFE_WEBHOOK, "ftp://x", "", "not a url"])},
            optional={"token": st.text(max_size=8), "id": st.text(max_size=8)},
        )
        configuration = st.fixed_dictionaries(
            {},
            optional={
                "returnImmediately": st.booleans() | _json_values(2),
                "historyLength": st.integers() | _json_values(2),
                "acceptedOutputModes": st.lists(st.text(max_size=10), max_size=2),
                "taskPushNotificationConfig": push | _json_values(2),
            },
        )
        shaped = st.fixed_dictionaries(
            {"message": _message()}, optional={**common, "configuration": configuration}
        )
    elif method in {"GetTask", "CancelTask", "SubscribeToTask"}:
        shaped = st.fixed_dictionaries(
            {"id": _ids()}, optional={**common, "historyLength": st.integers() | _json_values(2)}
        )
    elif method == "ListTasks":
        states = st.sampled_from(["TASK_STATE_COMPLETED", "TASK_STATE_WORKING", "NOPE"])
        shaped = st.fixed_dictionaries(
            {},
            optional={
                **common,
                "contextId": _ids(),
                "status": states | st.integers() | _json_values(2),
                "pageSize": st.integers(),
                "pageToken": st.text(max_size=10),
                "historyLength": st.integers(),
                "statusTimestampAfter": st.sampled_from(["2024-01-01T00:00:00Z", "yesterday"]),
                "includeArtifacts": st.booleans() | _json_values(2),
            },
        )
    elif "PushNotification" in method:
        shaped = st.fixed_dictionaries(
            {"taskId": _ids()},
            optional={
                **common,
                "id": _ids(),
                "url": st.sampled_from([SAFE_WEBHOOK, "ftp://x", ""]),
                "token": st.text(max_size=8),
                "pageSize": st.integers(),
            },
        )
    else:
        shaped = st.fixed_dictionaries({}, optional=common)
    return _mostly(shaped, _json_values(3), 15)


@functools.cache
def _rpc_objects() -> st.SearchStrategy[dict[str, Any]]:
    """JSON-RPC-shaped objects: real methods with near-valid params, and everything else."""
    real = st.sampled_from(_METHODS).flatmap(lambda m: st.tuples(st.just(m), _params(m)))
    odd_method = st.one_of(
        st.sampled_from(["message/send", "tasks/get", "sendMessage", "rpc.discover", ""]),
        st.text(max_size=12),
        _json_values(2),
    )
    method_params = _mostly(real, st.tuples(odd_method, _json_values(3)), 20)
    jsonrpc = _mostly(st.just("2.0"), st.sampled_from(["1.0", "2", 2.0, None]))
    rid = _mostly(
        st.one_of(st.integers(), st.text(max_size=10), st.uuids().map(str), st.none()),
        _json_values(2),
    )
    drop = _mostly(st.none(), st.sampled_from(["jsonrpc", "id", "method", "params"]))
    extra = _mostly(st.just({}), st.dictionaries(_NAME_TEXT, _json_values(2), max_size=2))

    def build(args: tuple[Any, Any, tuple[Any, Any], Any, dict[str, Any]]) -> dict[str, Any]:
        version, request_id, (method, params), gone, more = args
        body = {"jsonrpc": version, "id": request_id, "method": method, "params": params}
        return {**more, **{k: v for k, v in body.items() if k != gone}}

    return st.tuples(jsonrpc, rid, method_params, drop, extra).map(build)


_HEADER_NAMES: Final = [
    Headers.DEADLINE,
    Headers.A2A_VERSION,
    Headers.A2A_EXTENSIONS,
    Headers.TRACEPARENT,
    Headers.TRACESTATE,
    Headers.SENDER,
    Headers.SENDER_INSTANCE,
    Headers.EXPECTED,
    Headers.METHOD,
    Headers.SEQUENCE,
    Headers.FINAL,
    "content-type",
    "content-length",
    "A2A-VERSION",
    "",
]
_HEADER_VALUES: Final = [
    b"",
    b"-1",
    b"0",
    b"1",
    str(10**30).encode(),
    b"1.5",
    b"nan",
    b"0.3",
    b"1.0",
    b"99.0",
    b"\xff\xfe",
    b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    b"00-zz-zz-zz",
    b"application/x-www-form-urlencoded",
]


@functools.cache
def _extra_headers(min_size: int = 0) -> st.SearchStrategy[tuple[tuple[str, bytes], ...]]:
    names = (st.sampled_from(_HEADER_NAMES) | _NAME_TEXT).filter(lambda n: n not in _ROUTING)
    values = st.one_of(
        st.sampled_from(_HEADER_VALUES),
        st.binary(max_size=40),
        st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
    )
    return st.lists(st.tuples(names, values), min_size=min_size, max_size=4).map(tuple)


@functools.cache
def _keys() -> st.SearchStrategy[tuple[bool, bytes | None]]:
    own = st.just((True, None))
    return st.one_of(
        *([own] * 8), st.just((False, None)), st.binary(max_size=8).map(lambda k: (False, k))
    )


def wire_inputs(examples: int, seed: int) -> list[WireCase]:
    """``examples`` generated records (bytes, JSON, JSON-RPC objects, headers)."""
    no_headers: st.SearchStrategy[tuple[tuple[str, bytes], ...]] = st.just(())
    maybe_headers = st.one_of(no_headers, no_headers, no_headers, _extra_headers(1))

    def case(
        label: str,
    ) -> Callable[
        [tuple[bytes, tuple[tuple[str, bytes], ...], tuple[bool, bytes | None]]], WireCase
    ]:
        def build(
            args: tuple[bytes, tuple[tuple[str, bytes], ...], tuple[bool, bytes | None]],
        ) -> WireCase:
            value, extra, (own_key, key) = args
            return WireCase(value, f"generated {label}", extra=extra, own_key=own_key, key=key)

        return build

    encoded = st.tuples(_rpc_objects(), st.booleans()).map(lambda p: _dumps(p[0], ascii_only=p[1]))
    cheap = st.builds(lambda i: _rpc("GetTask", {"id": i}, rid=i), st.text(max_size=10))
    mix = [
        (0.15, st.tuples(st.binary(max_size=300), maybe_headers, _keys()).map(case("bytes"))),
        (0.15, st.tuples(_json_values().map(_dumps), maybe_headers, _keys()).map(case("JSON"))),
        (0.50, st.tuples(encoded, maybe_headers, _keys()).map(case("JSON-RPC"))),
        (0.20, st.tuples(cheap, _extra_headers(1), _keys()).map(case("headers"))),
    ]
    return _draw_mix(mix, examples, seed)
