"""The gateway's HTTP case, and the explicit matrix of requests every gateway must answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chaos.fuzz.report import _clip
from chaos.fuzz.strategies import _dumps

__all__ = ["HttpCase", "gateway_matrix"]


@dataclass(frozen=True, slots=True)
class HttpCase:
    """One HTTP request to the gateway."""

    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    chunked: bool = False
    """Send the body in chunks without a Content-Length."""
    expect: frozenset[int] = frozenset()
    """Statuses the answer must have (empty: any clear answer)."""
    label: str = "generated"

    def describe(self) -> str:
        """The request, clipped for a report line."""
        text = f"gateway {self.label}: {self.method} {self.path}"
        if self.content_type is not None:
            text += f" content-type={self.content_type!r}"
        if self.body is not None:
            text += f" body={_clip(self.body)}"
        return text + (" (chunked)" if self.chunked else "")


def _json_case(path: str, body: Any, label: str, *expect: int, **extra: Any) -> HttpCase:
    return HttpCase(
        "POST",
        path,
        _dumps(body),
        extra.pop("content_type", "application/json"),
        expect=frozenset(expect),
        label=label,
        **extra,
    )


def gateway_matrix() -> list[HttpCase]:
    """The explicit bad (and a few good) requests every gateway must answer clearly."""
    ok = {"question": "TvZ 5.0.13", "agent": "data", "timeout_s": 5}
    ask, tasks, big = "/v1/ask", "/v1/tasks", 70 * 1024
    return [
        _json_case(ask, ok, "valid ask (baseline)", 200),
        _json_case("/v1/ask/stream", ok, "valid streamed ask (baseline)", 200),
        _json_case(tasks, {"question": "TvZ", "agent": "data"}, "valid task (baseline)", 202),
        HttpCase("POST", ask, b"{not json", "application/json", label="malformed JSON"),
        HttpCase("POST", ask, b'{"question": "x"', "application/json", label="truncated JSON"),
        HttpCase("POST", ask, b"", "application/json", label="empty body"),
        HttpCase("POST", ask, b'{"question": "\xff"}', "application/json", label="invalid UTF-8"),
        HttpCase("POST", ask, b"[" * 60_000, "application/json", label="JSON nested 60,000 deep"),
        HttpCase(
            "POST",
            ask,
            b'{"question": "x", "timeout_s": ' + b"9" * 5000 + b"}",
            "application/json",
            label="integer of 5,000 digits",
        ),
        HttpCase("POST", ask, b"\x00" * 64, "application/json", label="NUL bytes"),
        _json_case(ask, [ok], "JSON array, not an object", 422),
        _json_case(ask, "TvZ", "JSON string, not an object", 422),
        _json_case(ask, 42, "JSON number, not an object", 422),
        _json_case(ask, None, "JSON null", 422),
        _json_case(ask, {}, "missing question", 422),
        _json_case(ask, {"question": ""}, "empty question", 422),
        _json_case(ask, {"question": " \t\n"}, "blank question", 422),
        _json_case(ask, {"question": "q" * 4001, "agent": "data"}, "question of 4001 chars", 422),
        _json_case(ask, {**ok, "stream": True}, "unknown field", 422),
        _json_case(ask, {"question": 42, "agent": "data"}, "question not a string", 422),
        _json_case(ask, {"question": ["x"], "agent": "data"}, "question a list", 422),
        _json_case(ask, {**ok, "agent": 5}, "agent not a string", 422),
        _json_case(ask, {**ok, "timeout_s": "soon"}, "timeout_s a word", 422),
        _json_case(ask, {**ok, "timeout_s": -1}, "negative timeout_s", 422),
        _json_case(ask, {**ok, "timeout_s": 0}, "zero timeout_s", 422),
        _json_case(ask, {**ok, "timeout_s": 1e308}, "huge timeout_s (clamped)", 200),
        _json_case(ask, {**ok, "timeout_s": float("nan")}, "NaN timeout_s", 422),
        _json_case(ask, {**ok, "timeout_s": 1e-9}, "timeout_s of 1 ns", 422),
        *(
            _json_case(ask, {**ok, "agent": name}, f"invalid agent name {name!r}", 422)
            for name in (
                "Data",
                "a b",
                "-x",
                "x-",
                "a" * 41,
                "",
                "data/../cs",
                "\uff44\uff41\uff54\uff41",
            )
        ),
        _json_case(ask, {**ok, "agent": "nobody"}, "unknown agent", 404),
        _json_case(ask, {**ok, "agent": "gateway"}, "the gateway asked through itself"),
        HttpCase(
            "POST", ask, b"x" * big, "application/json", expect=frozenset({413}), label="70 KiB"
        ),
        HttpCase(
            "POST",
            ask,
            b"x" * big,
            "application/json",
            chunked=True,
            expect=frozenset({413}),
            label="70 KiB chunked, no Content-Length",
        ),
        _json_case(ask, {"question": "q" * (big - 100), "agent": "data"}, "70 KiB valid JSON", 413),
        *(
            _json_case(tasks, {"question": "TvZ", "agent": "data", "webhook_url": url}, label, 422)
            for url, label in (
                ("ftp://127.0.0.1/hook", "webhook ftp://"),
                ("http://user:pw@127.0.0.1:9/hook", "webhook with credentials"),
                ("http://:pw@127.0.0.1:9/hook", "webhook with a password only"),
                ("http:///hook", "webhook without host"),
                ("file:///etc/passwd", "webhook file://"),
                ("javascript:alert(1)", "webhook javascript:"),
                ("http://[::1/hook", "webhook with a broken IPv6 host"),
                ("http://127.0.0.1:9/" + "x" * 2100, "webhook over 2048 chars"),
            )
        ),
        _json_case(
            tasks, {"question": "TvZ", "agent": "data", "timeout_s": 5}, "task with timeout_s", 422
        ),
        _json_case(tasks, {"agent": "data"}, "task without question", 422),
        *(
            HttpCase("GET", f"/v1/tasks/{task_id}", expect=frozenset(expect), label=label)
            for task_id, expect, label in (
                ("no-such-task", {404}, "unknown task id"),
                (str(uuid.UUID(int=0)), {404}, "unknown task uuid"),
                ("a%20b", {422}, "task id with a space"),
                ("x" * 129, {422}, "task id of 129 chars"),
                ("%00", {422}, "task id NUL"),
                (quote("태스크"), {422}, "task id in Hangul"),
                ("no-such-task/events", {404}, "events of an unknown task"),
                ("a%2Fb", {404, 422}, "task id with an encoded slash"),
            )
        ),
        *(
            HttpCase(method, path, expect=frozenset({405}), label="wrong method")
            for method, path in (
                ("DELETE", ask),
                ("GET", ask),
                ("PUT", tasks),
                ("GET", tasks),
                ("POST", "/v1/tasks/abc"),
                ("DELETE", "/v1/tasks/abc"),
                ("PATCH", "/v1/agents"),
            )
        ),
        _json_case(ask, ok, "valid JSON as text/plain", content_type="text/plain"),
        HttpCase("POST", ask, _dumps(ok), None, label="no content type"),
        HttpCase(
            "POST",
            ask,
            b"question=TvZ&agent=data",
            "application/x-www-form-urlencoded",
            label="form body",
        ),
        HttpCase(
            "POST", ask, b"--b\r\n\r\n--b--", "multipart/form-data; boundary=b", label="multipart"
        ),
        _json_case(
            ask, ok, "JSON declared as UTF-16", content_type="application/json; charset=utf-16"
        ),
    ]
