"""Shutting Kafka clients down while the cluster is unreachable."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaConsumer

from agentbus.connection import shut_down, stop_consumer


async def cancelled_in_flight_request() -> None:
    """What aiokafka 0.14's ``stop()`` does with a fetch in flight to a dead broker."""
    in_flight = asyncio.create_task(asyncio.sleep(10))
    await asyncio.sleep(0)
    in_flight.cancel()
    await in_flight


async def test_a_stray_cancellation_does_not_end_the_shutdown() -> None:
    await shut_down(cancelled_in_flight_request(), "test")


async def test_cancelling_the_shutdown_itself_still_cancels_it() -> None:
    started = asyncio.Event()

    async def slow_stop() -> None:
        started.set()
        await asyncio.sleep(10)

    task = asyncio.create_task(shut_down(slow_stop(), "test"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


class _Client:
    def __init__(self) -> None:
        self.closed = 0

    async def close(self) -> None:
        self.closed += 1


class _StopCutShort:
    """A consumer whose stop ends in the fetcher before its connections are closed."""

    def __init__(self) -> None:
        self._client = _Client()

    async def stop(self) -> None:
        await cancelled_in_flight_request()


async def test_a_consumer_stop_cut_short_still_closes_its_connections() -> None:
    consumer = _StopCutShort()

    await stop_consumer(cast("AIOKafkaConsumer", cast("Any", consumer)), "test")

    assert consumer._client.closed == 1
