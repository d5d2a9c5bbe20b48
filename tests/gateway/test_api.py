"""The gateway's API over a real server: answers, background tasks, webhooks, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agentbus import create_agent_app
from agentbus.localkafka import LocalKafka
from echo_agent.app import create_spec
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.support import free_port, http_settings, kafka_settings, serve

Hooks = list[tuple[dict[str, Any], dict[str, str]]]


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[tuple[str, Hooks]]:
    """A webhook receiver that fails the first call of every task, then accepts."""
    calls: Hooks = []
    seen: set[str] = set()

    async def hook(request: Request) -> JSONResponse:
        body = await request.json()
        calls.append((body, dict(request.headers)))
        if body["id"] not in seen:
            seen.add(body["id"])
            return JSONResponse({"retry": True}, status_code=503)
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    port = free_port()
    async with serve(app, port) as url:
        yield f"{url}/hook", calls


@pytest.fixture(scope="module", params=["http", "kafka"])
async def gateway(request: pytest.FixtureRequest, kafka: LocalKafka) -> AsyncIterator[str]:
    """The gateway in front of the echo agent, over each transport."""
    transport = request.param
    echo = kafka_settings(kafka.bootstrap_servers, transport=transport)
    async with serve(create_agent_app(echo, create_spec()), echo.ops.port) as echo_url:
        settings = (
            http_settings(kafka.bootstrap_servers, {"echo": echo_url + "/"})
            if transport == "http"
            else kafka_settings(kafka.bootstrap_servers)
        )
        app = create_app(settings, GatewaySettings(webhook_backoff_s=0.05, default_agent="echo"))
        async with serve(app, settings.ops.port) as url:
            yield url


async def post(url: str, path: str, body: Any, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await http.post(path, json=body, **kw)


async def test_ask_returns_the_agents_answer(gateway: str) -> None:
    """POST /v1/ask waits for the agent and returns its answer."""
    response = await post(gateway, "/v1/ask", {"question": "hello", "agent": "echo"})

    assert response.status_code == 200
    assert response.json()["text"] == "echo: hello"
    assert response.json()["state"] == "completed"


async def test_a_task_runs_in_the_background_and_calls_its_webhook(
    gateway: str, receiver: tuple[str, Hooks]
) -> None:
    """POST /v1/tasks answers 202 at once; polling finds it completed; the webhook is retried."""
    url, calls = receiver

    accepted = await post(
        gateway, "/v1/tasks", {"question": "task 2 0.2: bg", "agent": "echo", "webhook_url": url}
    )
    task_id = accepted.json()["id"]
    async with httpx.AsyncClient(base_url=gateway) as http:
        for _ in range(100):
            view = (await http.get(f"/v1/tasks/{task_id}")).json()
            if view["state"] == "completed":
                break
            await asyncio.sleep(0.1)
        for _ in range(50):
            mine = [c for c in calls if c[0]["id"] == task_id]
            if len(mine) >= 2:
                break
            await asyncio.sleep(0.1)

    assert accepted.status_code == 202
    assert accepted.headers["location"] == f"/v1/tasks/{task_id}"
    assert view["text"] == "bg [1/2]\nbg [2/2]"
    assert view["agent"] == "echo"
    assert len(mine) == 2  # the first attempt got 503, the retry was accepted
    assert mine[1][0]["state"] == "completed"
    assert mine[1][1]["idempotency-key"] == task_id


async def test_task_events_stream_until_the_task_ends(gateway: str) -> None:
    """GET /v1/tasks/{id}/events sends task snapshots and ends with the final state."""
    accepted = await post(gateway, "/v1/tasks", {"question": "task 3 0.1: sse", "agent": "echo"})
    task_id = accepted.json()["id"]
    async with (
        httpx.AsyncClient(base_url=gateway, timeout=30) as http,
        http.stream("GET", f"/v1/tasks/{task_id}/events") as stream,
    ):
        states = [
            json.loads(line[5:])["state"]
            async for line in stream.aiter_lines()
            if line.startswith("data:")
        ]

    assert states[-1] == "completed"
    assert len(states) >= 2


async def test_ask_stream_sends_progress_then_done(gateway: str) -> None:
    """POST /v1/ask/stream sends status and artifact events and ends with done."""
    body = {"question": "task 2 0: s", "agent": "echo"}
    async with (
        httpx.AsyncClient(base_url=gateway, timeout=30) as http,
        http.stream("POST", "/v1/ask/stream", json=body) as s,
    ):
        events = [
            line.split(":", 1)[1].strip()
            async for line in s.aiter_lines()
            if line.startswith("event:")
        ]

    assert events[-1] == "done"
    assert events.count("artifact") == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"question": "hi", "agent": "nobody"}, 404, "agent_not_found"),
        ({"question": ""}, 422, "invalid_request"),
        ({"question": "x" * 4001}, 422, "invalid_request"),
        ({"question": "hi", "surprise": 1}, 422, "invalid_request"),
        ({"question": "hi", "agent": "Not A Name"}, 422, "invalid_request"),
        ({"question": "hi", "timeout_s": -1}, 422, "invalid_request"),
        ({"question": "hi", "timeout_s": 1e-9}, 422, "invalid_request"),
        ({"question": "task 9999 0: too many", "agent": "echo"}, 400, "invalid_question"),
        ({"question": "task 1 5: slow", "agent": "echo", "timeout_s": 0.5}, 504, "timeout"),
    ],
)
async def test_ask_errors_are_clear(
    gateway: str, body: dict[str, Any], status: int, code: str
) -> None:
    """Each bad request gets its status and a stable error code with a message."""
    response = await post(gateway, "/v1/ask", body)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


async def test_task_errors_are_clear(gateway: str) -> None:
    """Unknown tasks, malformed ids and unsafe webhooks are refused with clear errors."""
    async with httpx.AsyncClient(base_url=gateway) as http:
        unknown = await http.get("/v1/tasks/no-such-task")
        malformed = await http.get("/v1/tasks/bad%20id")
    hook = await post(gateway, "/v1/tasks", {"question": "hi", "webhook_url": "ftp://x/y"})

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "task_not_found")
    assert malformed.status_code == 422
    assert (hook.status_code, hook.json()["error"]["code"]) == (422, "invalid_webhook_url")


async def test_oversized_and_malformed_bodies_are_refused(gateway: str) -> None:
    """A body over the limit gets 413; a body that is not JSON gets 422."""
    big = await post(gateway, "/v1/ask", {"question": "x" * 70_000})
    async with httpx.AsyncClient(base_url=gateway) as http:
        garbage = await http.post(
            "/v1/ask", content=b"{not json", headers={"content-type": "application/json"}
        )

    assert (big.status_code, big.json()["error"]["code"]) == (413, "payload_too_large")
    assert (garbage.status_code, garbage.json()["error"]["code"]) == (422, "invalid_request")


async def test_bodies_that_cannot_be_read_get_the_error_shape(gateway: str) -> None:
    """Bytes that are not UTF-8, JSON nested past the parser, a streamed oversized body."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 8192

    async with httpx.AsyncClient(base_url=gateway) as http:
        json_type = {"content-type": "application/json"}
        not_utf8 = await http.post("/v1/ask", content=b'{"question": "\xff"}', headers=json_type)
        deep = await http.post("/v1/ask", content=b"[" * 60_000, headers=json_type)
        streamed = await http.post("/v1/ask", content=chunks(), headers=json_type)

    assert (not_utf8.status_code, not_utf8.json()["error"]["code"]) == (400, "invalid_body")
    assert (deep.status_code, deep.json()["error"]["code"]) == (400, "invalid_body")
    assert (streamed.status_code, streamed.json()["error"]["code"]) == (413, "payload_too_large")


async def test_unknown_paths_and_methods_get_the_error_shape(gateway: str) -> None:
    """Starlette's own 404 and 405 answers carry {"error": {"code", "message"}} too."""
    async with httpx.AsyncClient(base_url=gateway) as http:
        missing = await http.get("/v1/nothing-here")
        slash = await http.get("/v1/tasks/a%2Fb")
        wrong = await http.delete("/v1/ask")

    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (slash.status_code, slash.json()["error"]["code"]) == (404, "not_found")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")
    assert "POST" in wrong.headers["allow"]


async def test_the_api_is_documented(gateway: str) -> None:
    """OpenAPI lists every route; the console and docs are served."""
    async with httpx.AsyncClient(base_url=gateway) as http:
        spec = (await http.get("/openapi.json")).json()
        console = await http.get("/")
        docs = await http.get("/docs")

    assert {"/v1/ask", "/v1/ask/stream", "/v1/tasks", "/v1/tasks/{task_id}"} <= set(spec["paths"])
    assert console.status_code == 200
    assert "agentbus" in console.text
    assert docs.status_code == 200
