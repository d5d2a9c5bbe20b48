"""What the data agent is asked: the query model, its validation and its defaults.

``Query`` is the structured form (a DataPart ``{"query": {...}}`` or what the text
parser found), every field optional. ``resolve`` fills the defaults (latest patch,
its previous patch as context) and checks the combination. Every refusal is a
``QueryError`` whose message says what was wrong and what is accepted::

    ValueError
    └── QueryError
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from data_agent.domain import (
    BRACKET_KO,
    BRACKETS,
    LATEST_PATCH,
    MAPS,
    MATCHUP_KO,
    MATCHUP_RACES,
    PATCHES,
    RACE_KO,
    RACES,
    matchup_of,
    previous_patch,
)

__all__ = [
    "KINDS",
    "Language",
    "Query",
    "QueryError",
    "ResolvedQuery",
    "normalize_bracket",
    "normalize_map",
    "normalize_matchup",
    "normalize_patch",
    "normalize_race",
    "query_from_data",
    "resolve",
]

KINDS: Final = ("winrate", "trend")
Language = Literal["en", "ko"]

_RACE_ALIASES: Final = {
    **{race: race for race in RACES},
    **{race[0]: race for race in RACES},
    **{ko: race for race, ko in RACE_KO.items()},
    "toss": "protoss",
    "토스": "protoss",
}
_BRACKET_ALIASES: Final = {
    **{b: b for b in BRACKETS},
    **{ko: b for b, ko in BRACKET_KO.items()},
    "plat": "platinum",
    "dia": "diamond",
    "gm": "grandmaster",
    "다이아": "diamond",
    "플레티넘": "platinum",
    "그마": "grandmaster",
}
_KO_MATCHUPS: Final = {
    **{ko: m for m, ko in MATCHUP_KO.items()},
    "저테전": "TvZ",
    "프테전": "TvP",
    "프저전": "ZvP",
}


class QueryError(ValueError):
    """A question or query the data agent cannot answer as asked."""


def _key(text: str) -> str:
    """Lower case without spaces, hyphens, dots or underscores: how names are compared."""
    return re.sub(r"[\s\-_.]+", "", text.lower())


def normalize_race(value: str) -> str:
    """``Terran``, ``T``, ``테란`` -> ``terran``."""
    race = _RACE_ALIASES.get(_key(value))
    if race is None:
        raise QueryError(f"unknown race {value!r}; accepted: {', '.join(RACES)}")
    return race


def normalize_matchup(value: str) -> str:
    """``TvZ``, ``zvt``, ``terran vs zerg``, ``테저전`` -> ``TvZ`` (mirrors are refused)."""
    key = _key(value)
    if key in _KO_MATCHUPS:
        return _KO_MATCHUPS[key]
    match = re.fullmatch(r"(.+?)(?:versus|vs|v|대)(.+)", key)
    if match:
        races = [_RACE_ALIASES.get(part) for part in match.groups()]
        if races[0] is not None and races[1] is not None:
            matchup = matchup_of(races[0], races[1])
            if matchup is not None:
                return matchup
    raise QueryError(
        f"unknown matchup {value!r}; accepted: {', '.join(MATCHUP_RACES)} (mirrors are excluded)"
    )


def normalize_bracket(value: str) -> str:
    """``Diamond``, ``dia``, ``다이아`` -> ``diamond``."""
    bracket = _BRACKET_ALIASES.get(_key(value))
    if bracket is None:
        raise QueryError(f"unknown bracket {value!r}; accepted: {', '.join(BRACKETS)}")
    return bracket


def normalize_map(value: str) -> str:
    """``oceanborn``, ``Oceanborn LE`` -> ``Oceanborn LE``."""
    key = _key(value).removesuffix("le")
    for name in MAPS:
        if _key(name).removesuffix("le") == key:
            return name
    raise QueryError(f"unknown map {value!r}; accepted: {', '.join(MAPS)}")


def normalize_patch(value: str) -> str:
    """A known patch name, as given (``5.0.13``)."""
    patch = value.strip()
    if patch not in PATCHES:
        raise QueryError(f"unknown patch {value!r}; known patches: {', '.join(PATCHES)}")
    return patch


class Query(BaseModel):
    """A structured question; every field is optional and names are normalized."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    race: str | None = None
    matchup: str | None = None
    patch: str | None = None
    compare_patch: str | None = None
    map: str | None = None
    bracket: str | None = None
    kind: Literal["winrate", "trend"] | None = None

    @field_validator("race")
    @classmethod
    def _race(cls, value: str | None) -> str | None:
        return None if value is None else normalize_race(value)

    @field_validator("matchup")
    @classmethod
    def _matchup(cls, value: str | None) -> str | None:
        return None if value is None else normalize_matchup(value)

    @field_validator("patch", "compare_patch")
    @classmethod
    def _patch(cls, value: str | None) -> str | None:
        return None if value is None else normalize_patch(value)

    @field_validator("map")
    @classmethod
    def _map(cls, value: str | None) -> str | None:
        return None if value is None else normalize_map(value)

    @field_validator("bracket")
    @classmethod
    def _bracket(cls, value: str | None) -> str | None:
        return None if value is None else normalize_bracket(value)


def query_from_data(data: Any) -> Query:
    """The ``query`` of a DataPart payload ``{"query": {...}}``, validated.

    Raises:
        QueryError: the payload has no ``query`` object, or a field has a wrong type
            or an unknown value; the message names every such field.
    """
    if not isinstance(data, dict) or not isinstance(data.get("query"), dict):
        raise QueryError(
            'a DataPart must look like {"query": {...}} with the fields '
            f"{', '.join(Query.model_fields)} (all optional)"
        )
    try:
        return Query.model_validate(data["query"])
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise QueryError(f"invalid query: {problems}") from exc


def _describe(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "query"
    if error["type"] == "extra_forbidden":
        return f"{field}: unknown field; accepted fields: {', '.join(Query.model_fields)}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {message} (got {error['input']!r})"


@dataclass(frozen=True, slots=True)
class ResolvedQuery:
    """A query with its defaults filled in, ready to count."""

    patch: str
    compare_patch: str | None
    """Patch the answer compares with: asked for, or the previous one; None for the oldest."""
    kind: str
    race: str | None = None
    matchup: str | None = None
    map: str | None = None
    bracket: str | None = None
    language: Language = "en"

    def as_dict(self) -> dict[str, str | None]:
        """The resolved query as it appears in the answer."""
        return {
            "race": self.race,
            "matchup": self.matchup,
            "patch": self.patch,
            "compare_patch": self.compare_patch,
            "map": self.map,
            "bracket": self.bracket,
            "kind": self.kind,
        }


def resolve(query: Query, language: Language = "en") -> ResolvedQuery:
    """Fill the defaults: the latest patch, compared with the one before it.

    Raises:
        QueryError: the compare patch is the patch itself, or a trend was asked of the
            oldest patch without naming a patch to compare with.
    """
    patch = query.patch or LATEST_PATCH
    compare = query.compare_patch or previous_patch(patch)
    kind = query.kind or ("trend" if query.compare_patch else "winrate")
    if compare == patch:
        raise QueryError(f"compare_patch {compare} is the patch itself; name a different one")
    if kind == "trend" and compare is None:
        raise QueryError(
            f"{patch} is the oldest patch, so it has no previous one; name a patch to compare"
            f" with (known: {', '.join(PATCHES)})"
        )
    return ResolvedQuery(
        patch=patch,
        compare_patch=compare,
        kind=kind,
        race=query.race,
        matchup=query.matchup,
        map=query.map,
        bracket=query.bracket,
        language=language,
    )
