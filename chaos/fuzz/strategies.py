"""Seeded drawing from Hypothesis, and what both surfaces' inputs are built from."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from typing import Any, Final, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st

__all__: list[str] = []  # internal helpers: the package's API is chaos/fuzz/__init__.py

T = TypeVar("T")

SAFE_WEBHOOK: Final = "http://127.0.0.1:9/agentbus-fuzz"
"""Where accepted webhooks point: the discard port on loopback, refused at once."""
_QUESTIONS: Final = ["TvZ 5.0.13", "테란 승률 분석", "lag complaints", "PvT on Goldenaura"]
"""Questions the agents answer cheaply (gateway bodies and A2A message parts)."""
_HYPOTHESIS: Final = threading.Lock()
"""One Hypothesis run at a time (fuzz_gateway and fuzz_wire may run side by side)."""


def _draw(strategy: st.SearchStrategy[T], examples: int, seed: int) -> list[T]:
    """``examples`` values of ``strategy``, the same ones for the same seed."""
    drawn: list[T] = []
    if examples <= 0:
        return drawn

    @seeded(seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        verbosity=Verbosity.quiet,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )
    @given(strategy)
    def collect(value: T) -> None:
        drawn.append(value)

    with _HYPOTHESIS:
        collect()
    return drawn


def _draw_mix(mix: Sequence[tuple[float, st.SearchStrategy[T]]], total: int, seed: int) -> list[T]:
    """``total`` values, drawn from each strategy in proportion to its share."""
    drawn: list[T] = []
    for index, (share, strategy) in enumerate(mix):
        count = total - len(drawn) if index == len(mix) - 1 else round(total * share)
        drawn += _draw(strategy, count, seed)
    return drawn


def _dumps(value: Any, *, ascii_only: bool = True) -> bytes:
    """JSON as Python writes it (NaN and Infinity included); lone surrogates escaped."""
    try:
        return json.dumps(value, ensure_ascii=ascii_only).encode()
    except UnicodeEncodeError:
        return json.dumps(value).encode()


_NAME_TEXT: Final = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


@functools.cache
def _json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value Python can write: unicode, big numbers, NaN, nesting."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    return st.recursive(
        scalars,
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids),
        max_leaves=max_leaves,
    )


def _mostly(
    usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], percent: int = 10
) -> st.SearchStrategy[Any]:
    """``usual``, except ``rare`` about ``percent`` % of the time (``one_of`` is not weighted)."""
    return st.integers(0, 99).flatmap(lambda n: rare if n >= 100 - percent else usual)
