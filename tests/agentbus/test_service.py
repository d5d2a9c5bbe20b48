"""The process wrapper of agent apps: start-up objects leave the garbage collector's view."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from agentbus.service import _FreezeAfterStartup
from tests.support import free_port, serve


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def app_noting_startup(seen: list[int]) -> Starlette:
    """An app that notes how many objects were frozen while it started."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        del app
        seen.append(gc.get_freeze_count())
        yield

    async def hello(request: Any) -> PlainTextResponse:
        del request
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/", hello)], lifespan=lifespan)


@pytest.mark.usefixtures("unfrozen")
async def test_what_start_up_made_is_frozen_once_it_completed() -> None:
    """Frozen after the app's start-up, not before it; requests pass through untouched."""
    seen: list[int] = []

    async with serve(_FreezeAfterStartup(app_noting_startup(seen)), free_port()) as url:
        frozen = gc.get_freeze_count()
        async with httpx.AsyncClient() as client:
            answer = await client.get(url + "/")

    assert seen == [0]
    assert frozen > 0
    assert answer.status_code == 200
    assert answer.text == "hello"
