"""Sending requests to the gateway and judging whether each got a clear answer."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import httpx

from chaos.fuzz.gateway_cases import HttpCase, gateway_matrix
from chaos.fuzz.gateway_strategies import gateway_inputs
from chaos.fuzz.report import LIMIT_S, FuzzReport, _clip, _Findings

__all__ = ["fuzz_gateway"]

_GATEWAY_ERRORS: Final = frozenset({502, 503, 504})
_MAX_BODY_READ: Final = 4 * 1024 * 1024


def _chunks(raw: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


def _exchange(client: httpx.Client, case: HttpCase, limit_s: float) -> tuple[int, bytes] | str:
    """The status and body the gateway answered, or why there was no complete answer."""
    headers = {} if case.content_type is None else {"content-type": case.content_type}
    content = _chunks(case.body or b"") if case.chunked else case.body
    started = time.monotonic()
    try:
        with client.stream(case.method, case.path, content=content, headers=headers) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if time.monotonic() - started > limit_s:
                    return f"status {response.status_code}, but the body was still streaming"
                if len(body) > _MAX_BODY_READ:
                    break
            return response.status_code, bytes(body)
    except httpx.HTTPError as exc:
        return f"no answer within {limit_s:g} s: {exc!r}"


def _error_shape(doc: Any) -> bool:
    error = doc.get("error") if isinstance(doc, dict) else None
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and bool(error["code"])
        and isinstance(error.get("message"), str)
        and bool(error["message"].strip())
    )


def _judge_http(case: HttpCase, status: int, body: bytes) -> str | None:
    """Why the answer is not clear, or ``None`` when it is."""
    if case.expect and status not in case.expect:
        return f"status {status}, expected {'/'.join(map(str, sorted(case.expect)))}: {_clip(body)}"
    if status >= 500 and status not in _GATEWAY_ERRORS:
        return f"status {status}: {_clip(body)}"
    if status < 400:
        return None
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return f"status {status} without a JSON body: {_clip(body)}"
    if _error_shape(doc):
        return None
    return f'status {status} without {{"error": {{"code", "message"}}}}: {_clip(body)}'


def fuzz_gateway(
    base_url: str,
    *,
    examples: int = 600,
    seed: int = 0,
    concurrency: int = 8,
    limit_s: float = LIMIT_S,
) -> FuzzReport:
    """Send the matrix and ``examples`` generated requests to the gateway at ``base_url``.

    Blocking (threads over one shared ``httpx.Client``): from async code run it with
    ``asyncio.to_thread``.
    """
    started = time.perf_counter()
    cases = [*gateway_matrix(), *gateway_inputs(examples, seed)]
    report = FuzzReport(inputs=len(cases), gateway_inputs=len(cases))
    findings = _Findings()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with (
        httpx.Client(base_url=base_url, timeout=limit_s, limits=limits) as client,
        ThreadPoolExecutor(concurrency, thread_name_prefix="fuzz-gateway") as pool,
    ):
        outcomes = pool.map(lambda case: _exchange(client, case, limit_s), cases)
        for case, outcome in zip(cases, outcomes, strict=True):
            if isinstance(outcome, str):
                findings.add(f"{case.label}|{outcome[:24]}", f"{case.describe()} → {outcome}")
                continue
            status, body = outcome
            problem = _judge_http(case, status, body)
            if problem is not None:
                findings.add(f"{case.label}|{problem[:24]}", f"{case.describe()} → {problem}")
            elif status < 300:
                report.accepted += 1
    findings.fill(report)
    report.seconds = time.perf_counter() - started
    return report
