"""Webhook delivery: POST a finished task's result, retried with backoff."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any, Final

import httpx
from prometheus_client import Counter

from agentbus.metrics import get_metrics
from gateway.settings import GatewaySettings

__all__ = ["WebhookSender"]

log = logging.getLogger(__name__)

_PERMANENT: Final = frozenset(range(400, 500)) - {408, 425, 429}
"""Client errors a retry cannot fix (except timeout, too early, too many requests)."""

_DELIVERIES: dict[int, Counter] = {}


def _counter() -> Counter:
    registry = get_metrics().registry
    counter = _DELIVERIES.get(id(registry))
    if counter is None:
        counter = Counter(
            "agentbus_webhook_deliveries",
            "Webhook deliveries by outcome (delivered, rejected, gave_up).",
            ["outcome"],
            registry=registry,
        )
        _DELIVERIES[id(registry)] = counter
    return counter


class WebhookSender:
    """Delivers one JSON document to a URL, at least once if the receiver ever answers 2xx."""

    def __init__(self, settings: GatewaySettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.webhook_timeout_s), follow_redirects=False
        )
        self._own = client is None
        self._deliveries = _counter()

    async def deliver(self, url: str, payload: dict[str, Any], *, idempotency_key: str) -> bool:
        """POST ``payload``; retry transient failures with exponential backoff and jitter.

        Returns whether the receiver accepted it. The ``Idempotency-Key`` header lets a
        receiver drop the duplicate a retry after a lost response may cause.
        """
        s = self.settings
        headers = {"Idempotency-Key": idempotency_key, "User-Agent": "agentbus-gateway"}
        for attempt in range(s.webhook_attempts):
            try:
                response = await self._client.post(url, json=payload, headers=headers)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    self._deliveries.labels("delivered").inc()
                    return True
                if response.status_code in _PERMANENT:
                    log.warning("webhook %s refused the result: HTTP %d", url, response.status_code)
                    self._deliveries.labels("rejected").inc()
                    return False
                problem = f"HTTP {response.status_code}"
            if attempt + 1 < s.webhook_attempts:
                delay = s.webhook_backoff_s * 2**attempt * (0.5 + random.random())  # noqa: S311
                log.info(
                    "webhook %s failed (%s); retry %d in %.2f s", url, problem, attempt + 1, delay
                )
                await asyncio.sleep(delay)
        log.warning("webhook %s gave up after %d attempts", url, s.webhook_attempts)
        self._deliveries.labels("gave_up").inc()
        return False

    async def aclose(self) -> None:
        """Close the connection pool this sender created."""
        if self._own:
            await self._client.aclose()
