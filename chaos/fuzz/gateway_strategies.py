"""Generated gateway requests: near-valid JSON bodies, raw bytes, task ids, wrong methods."""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Final
from urllib.parse import quote

from hypothesis import strategies as st
from pydantic import ValidationError

from agentbus.names import AGENT_NAME_PATTERN
from chaos.fuzz.gateway_cases import HttpCase
from chaos.fuzz.strategies import (
    _NAME_TEXT,
    _QUESTIONS,
    SAFE_WEBHOOK,
    _draw_mix,
    _dumps,
    _json_values,
    _mostly,
)
from gateway.logic import AskRequest, TaskRequest, validate_webhook_url

__all__ = ["gateway_inputs"]


def _tame(path: str, body: Any) -> Any:
    """A body the gateway would accept, pointed at cheap work; anything else unchanged."""
    if not isinstance(body, dict):
        return body
    model = AskRequest if path.startswith("/v1/ask") else TaskRequest
    try:
        parsed = model.model_validate(body)
    except (ValidationError, ValueError, TypeError):
        return body
    tamed = dict(body)
    if parsed.agent in {None, "balance", "gateway"}:
        tamed["agent"] = "data"
    if isinstance(parsed, AskRequest) and (parsed.timeout_s is None or parsed.timeout_s > 5):
        tamed["timeout_s"] = 5
    if isinstance(parsed, TaskRequest) and parsed.webhook_url is not None:
        with contextlib.suppress(ValueError):
            validate_webhook_url(parsed.webhook_url, [])
            tamed["webhook_url"] = SAFE_WEBHOOK
    return tamed


_BAD_AGENTS: Final = ["data", "cs", "nobody", "Data", "a b", "-x", "x-", "a" * 41, "", " data\n"]
_WEBHOOKS: Final = [
    "ftp://127.0.0.1/h",
    "http://u:p@127.0.0.1:9/h",
    "http://",
    "https:///x",
    "file:///etc/passwd",
    "http://[::1/",
    "http://127.0.0.1:9/h",
    "//127.0.0.1/h",
    "x" * 3000,
]
_CONTENT_TYPES: Final = [
    "application/json",
    "application/json",
    "application/json",
    None,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin-1",
    "application/vnd.api+json",
]


@functools.cache
def _bodies(path: str) -> st.SearchStrategy[Any]:
    """JSON values and objects for ``path``: mostly near-valid, each field sometimes wrong."""
    questions = _mostly(
        st.sampled_from(_QUESTIONS) | st.text(min_size=1, max_size=30),
        st.one_of(
            st.sampled_from(["", " ", "\t\n", "\u3000", "\x00"]),
            st.integers(4001, 4100).map(lambda n: "q" * n),
            st.integers(3995, 4000).map(lambda n: "가" * n),
            _json_values(),
        ),
        75,
    )
    agents = _mostly(
        st.sampled_from(["data", "cs", " data\n"])
        | st.from_regex(AGENT_NAME_PATTERN, fullmatch=True),
        st.sampled_from(_BAD_AGENTS) | st.text(max_size=12) | _json_values(4),
        75,
    )
    timeouts = _mostly(
        st.floats(0.5, 5),
        st.one_of(
            st.sampled_from([0, -1, -0.0, 1e-300, 1e308, float("inf"), float("nan"), "5", True]),
            st.floats(),
            st.integers(),
            _json_values(4),
        ),
        60,
    )
    webhooks = _mostly(
        st.just(SAFE_WEBHOOK),
        st.one_of(
            st.sampled_from(_WEBHOOKS),
            st.text(max_size=30),
            st.text(max_size=20).map(lambda s: f"http://{s}"),
            _json_values(4),
        ),
        60,
    )
    fields = {"agent": agents}
    if path.startswith("/v1/ask"):
        fields["timeout_s"] = timeouts
    else:
        fields["webhook_url"] = webhooks
    unknown = st.dictionaries(
        st.sampled_from(["Question", "timeout", "webhook_url", "timeout_s", "stream"]) | _NAME_TEXT,
        _json_values(4),
        min_size=1,
        max_size=2,
    )
    with_question = st.fixed_dictionaries({"question": questions}, optional=fields)
    objects = _mostly(
        with_question,
        st.one_of(
            st.fixed_dictionaries({}, optional=fields),
            st.tuples(with_question, unknown).map(lambda pair: {**pair[0], **pair[1]}),
        ),
        30,
    )
    return _mostly(objects, _json_values(), 15).map(lambda body: _tame(path, body))


@functools.cache
def _post_json(*paths: str) -> st.SearchStrategy[HttpCase]:
    def build(args: tuple[str, Any, bool, str | None]) -> HttpCase:
        path, body, ascii_only, content_type = args
        return HttpCase("POST", path, _dumps(body, ascii_only=ascii_only), content_type)

    return (
        st.sampled_from(paths)
        .flatmap(
            lambda path: st.tuples(
                st.just(path), _bodies(path), st.booleans(), st.sampled_from(_CONTENT_TYPES)
            )
        )
        .map(build)
    )


@functools.cache
def _post_bytes() -> st.SearchStrategy[HttpCase]:
    def mutate(args: tuple[Any, int, bytes]) -> bytes:
        body, at, junk = args
        raw = _dumps(body, ascii_only=False)
        return raw[:at] + junk + raw[at + len(junk) :] if junk else raw[:at]

    near_json = st.tuples(_bodies("/v1/ask"), st.integers(0, 120), st.binary(max_size=3))
    bodies = st.one_of(st.binary(max_size=400), near_json.map(mutate))
    return st.builds(
        lambda path, body, ctype: HttpCase("POST", path, body, ctype, label="generated bytes"),
        st.sampled_from(["/v1/ask", "/v1/tasks", "/v1/ask/stream"]),
        bodies,
        st.sampled_from(_CONTENT_TYPES),
    )


@functools.cache
def _task_ids() -> st.SearchStrategy[HttpCase]:
    ids = st.one_of(
        st.text(max_size=40),
        st.from_regex(r"[A-Za-z0-9._:-]{1,128}", fullmatch=True),
        st.uuids().map(str),
        st.sampled_from(["", "%", "x" * 129, "\x00", "태스크", "a\nb", "a/b", "..", "."]),
    )
    return st.builds(
        lambda task_id, tail: HttpCase(
            "GET", f"/v1/tasks/{quote(task_id, safe='')}{tail}", label="generated task id"
        ),
        ids,
        st.sampled_from(["", "", "", "/events"]),
    )


@functools.cache
def _wrong_methods() -> st.SearchStrategy[HttpCase]:
    return st.builds(
        lambda method, path, body: HttpCase(method, path, body, label="generated method"),
        st.sampled_from(["PUT", "DELETE", "PATCH", "OPTIONS"]),
        st.sampled_from(["/v1/ask", "/v1/ask/stream", "/v1/tasks", "/v1/tasks/x", "/v1/agents"]),
        st.none() | st.binary(max_size=40),
    )


def gateway_inputs(examples: int, seed: int) -> list[HttpCase]:
    """``examples`` generated requests: JSON bodies, raw bytes, task ids, wrong methods."""
    mix = [
        (0.30, _post_json("/v1/ask", "/v1/ask", "/v1/ask/stream")),
        (0.20, _post_json("/v1/tasks")),
        (0.20, _post_bytes()),
        (0.25, _task_ids()),
        (0.05, _wrong_methods()),
    ]
    return _draw_mix(mix, examples, seed)
