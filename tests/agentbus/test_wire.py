"""The wire format: headers, reply records and error mapping."""

import json

import pytest
from a2a.client.errors import A2AClientError
from a2a.utils.errors import InvalidParamsError, TaskNotFoundError

from agentbus import DeadlineExceededError, Headers, ReplyProtocolError
from agentbus.wire import (
    DEADLINE_EXCEEDED_CODE,
    deadline_error_response,
    decode_headers,
    encode_headers,
    error_from_response,
    parse_reply,
)


def test_headers_round_trip_and_skip_none() -> None:
    """Header mappings encode to Kafka byte headers and back; None values are left out."""
    raw = encode_headers({"a": "1", "b": None, "c": 7})

    assert raw == [("a", b"1"), ("c", b"7")]
    assert decode_headers(raw) == {"a": "1", "c": "7"}


def test_undecodable_header_values_become_empty() -> None:
    """A header that is not UTF-8 does not break decoding."""
    assert decode_headers([("x", b"\xff\xfe"), ("y", None)]) == {"x": "", "y": ""}


def test_a_unary_reply_is_parsed_with_its_sequence_and_final_marker() -> None:
    """A reply record is a JSON-RPC response plus sequence and final headers."""
    body = {"jsonrpc": "2.0", "id": "1", "result": {"x": 1}}

    reply = parse_reply(
        json.dumps(body).encode(), {Headers.SEQUENCE: "0", Headers.FINAL: "1"}, agent="a"
    )

    assert reply.final is True
    assert reply.sequence == 0
    assert reply.body == body


def test_an_empty_final_record_ends_a_stream() -> None:
    """The end-of-stream marker is an empty value with the final header."""
    reply = parse_reply(b"", {Headers.SEQUENCE: "5", Headers.FINAL: "1"}, agent="a")

    assert reply.body is None
    assert reply.sequence == 5


@pytest.mark.parametrize(
    ("value", "headers", "problem"),
    [
        (b"", {Headers.FINAL: "0"}, "empty but not marked final"),
        (b"{not json", {}, "not JSON"),
        (b"[1, 2]", {}, "not a JSON-RPC 2.0 response"),
        (b'{"jsonrpc": "2.0"}', {}, "not a JSON-RPC 2.0 response"),
        (b'{"result": {}}', {Headers.SEQUENCE: "x"}, "non-numeric"),
    ],
)
def test_replies_that_break_the_contract_are_protocol_errors(
    value: bytes, headers: dict[str, str], problem: str
) -> None:
    """Malformed replies raise ReplyProtocolError naming the agent and the problem."""
    with pytest.raises(ReplyProtocolError, match=problem) as failure:
        parse_reply(value, headers, agent="data")

    assert "data" in str(failure.value)


def test_a2a_error_codes_map_to_the_sdk_exceptions() -> None:
    """JSON-RPC error codes become the same exceptions the HTTP transport raises."""
    assert isinstance(
        error_from_response({"code": -32001, "message": "nope"}, agent="a"), TaskNotFoundError
    )
    assert isinstance(
        error_from_response({"code": -32602, "message": "bad"}, agent="a"), InvalidParamsError
    )
    unknown = error_from_response({"code": 1234, "message": "odd"}, agent="a")
    assert isinstance(unknown, A2AClientError)
    assert "1234" in str(unknown)


def test_a_deadline_reply_becomes_a_deadline_error() -> None:
    """The agent's deadline refusal surfaces as DeadlineExceededError naming the agent."""
    body = deadline_error_response("r1", "data", late_ms=120)

    error = error_from_response(body["error"], agent="data")

    assert body["error"]["code"] == DEADLINE_EXCEEDED_CODE
    assert isinstance(error, DeadlineExceededError)
    assert "data" in str(error)
    assert "120 ms" in str(error)
