"""Questions to analysis scopes: Korean or English text, or a structured DataPart.

``parse_request(text, data)`` reads what was asked: a focus race, a patch
(default the latest), a patch to compare with (default the one before) and a
focus topic. A DataPart ``{"query": {...}}`` wins over the text; the text still
decides the answer's language. Anything it cannot accept raises ``ValueError``
with a message that says what is wrong and what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from cs_agent.domain import LATEST_PATCH, PATCH_NAMES, RACE_KO, RACES, TOPICS, previous_patch
from cs_agent.logic import Scope, topic_hits

__all__ = ["MAX_QUESTION_CHARS", "FeedbackQuery", "Request", "parse_question", "parse_request"]

MAX_QUESTION_CHARS: Final = 4000
_MAX_PATCHES: Final = 2  # one to analyse and one to compare it with
_KNOWN_PATCHES: Final = ", ".join(PATCH_NAMES)
_EXAMPLES: Final = '"테란 불만 분석", "complaints about zerg in 5.0.12 vs 5.0.11"'
_PATCH: Final = re.compile(r"(?<![\d.])\d{1,2}\.\d{1,2}\.\d{1,3}(?![\d.]*\d)")
_RACE_ALIASES: Final = {
    **{race: race for race in RACES},
    **{ko: race for race, ko in RACE_KO.items()},
    "토스": "protoss",
    "t": "terran",
    "z": "zerg",
    "p": "protoss",
}
_RACE_WORDS: Final = re.compile(
    r"(?i:(?<![a-z])(terran|zerg|protoss)s?(?![a-z]))|(프로토스|테란|저그|토스)"
    r"|(?<![A-Za-z'])([TZP])(?:v[TZP])?(?![A-Za-z'])|([테저프])[테저프]전"
)
_LETTER: Final = {"테": "terran", "저": "zerg", "프": "protoss"}
_ASKABLE_TOPICS: Final = tuple(t for t in TOPICS if t not in {"praise", "other"})

Language = Literal["ko", "en"]


def _known_patch(value: str | None, field: str) -> str | None:
    if value is not None and value not in PATCH_NAMES:
        raise ValueError(f"unknown {field} {value!r}; known patches: {_KNOWN_PATCHES}")
    return value


class FeedbackQuery(BaseModel):
    """A structured question, as in the DataPart ``{"query": {...}}``; all fields optional."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    race: str | None = None
    patch: str | None = None
    compare_patch: str | None = None
    topic: str | None = None

    @field_validator("race")
    @classmethod
    def _race(cls, value: str | None) -> str | None:
        if value is None:
            return None
        race = _RACE_ALIASES.get(value.strip().lower())
        if race is None:
            raise ValueError(
                f"unknown race {value!r}; accepted: terran, zerg, protoss (or 테란, 저그, 프로토스)"
            )
        return race

    @field_validator("patch")
    @classmethod
    def _patch(cls, value: str | None) -> str | None:
        return _known_patch(value, "patch")

    @field_validator("compare_patch")
    @classmethod
    def _compare_patch(cls, value: str | None) -> str | None:
        return _known_patch(value, "compare_patch")

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        if value is not None and value not in _ASKABLE_TOPICS:
            raise ValueError(f"unknown topic {value!r}; accepted: {', '.join(_ASKABLE_TOPICS)}")
        return value

    def resolve(self) -> Scope:
        """The scope with defaults: the latest patch, compared with the one before it.

        Raises:
            ValueError: the patch is compared with itself.
        """
        patch = self.patch or LATEST_PATCH
        compare = self.compare_patch or previous_patch(patch)
        if compare == patch:
            raise ValueError(f"compare_patch {compare!r} must differ from patch {patch!r}")
        return Scope(patch=patch, compare_patch=compare, race=self.race, topic=self.topic)


@dataclass(frozen=True, slots=True)
class Request:
    """What to analyse and the language to answer in."""

    scope: Scope
    language: Language


def parse_question(text: str) -> FeedbackQuery:
    """Read a Korean or English question.

    The first race named is the focus ("T vs Z" and "테저전" name Terran first). Two
    patches compare the later with the earlier. Topic keywords ("매칭", "lag") set a
    focus topic.

    Raises:
        ValueError: an unknown patch, or more than two patches.
    """
    patches = list(dict.fromkeys(_PATCH.findall(text)))
    for name in patches:
        _known_patch(name, "patch")
    if len(patches) > _MAX_PATCHES:
        raise ValueError(
            f"name at most two patches (one to analyse, one to compare), got {patches}"
        )
    ordered = sorted(patches, key=PATCH_NAMES.index, reverse=True)
    match = _RACE_WORDS.search(text)
    race = None
    if match:
        word = match.group(1) or match.group(2) or match.group(3)
        race = _RACE_ALIASES[word.lower()] if word else _LETTER[match.group(4)]
    hits = {t: n for t, n in topic_hits(text).items() if t in _ASKABLE_TOPICS}
    topic = max(hits, key=lambda t: (hits[t], -TOPICS.index(t))) if hits else None
    return FeedbackQuery(
        race=race,
        patch=ordered[0] if ordered else None,
        compare_patch=ordered[1] if len(ordered) > 1 else None,
        topic=topic,
    )


def parse_request(text: str, data: Sequence[Any] = ()) -> Request:
    """Read a question from its text and DataParts; a ``{"query": {...}}`` part wins.

    Raises:
        ValueError: empty or oversized question, malformed DataPart, unknown values.
    """
    if len(text) > MAX_QUESTION_CHARS:
        raise ValueError(
            f"question of {len(text)} characters is too long: ask in at most "
            f"{MAX_QUESTION_CHARS} characters"
        )
    language: Language = "ko" if re.search("[가-힣]", text) else "en"
    if data:
        structured = next((d["query"] for d in data if isinstance(d, dict) and "query" in d), None)
        if not isinstance(structured, dict):
            raise ValueError(
                'a DataPart must be {"query": {...}} with optional race, patch, compare_patch '
                "and topic"
            )
        try:
            query = FeedbackQuery.model_validate(structured)
        except ValidationError as exc:
            raise ValueError(f"invalid query DataPart: {_describe(exc)}") from exc
    elif text.strip():
        query = parse_question(text)
    else:
        raise ValueError(f"empty question: ask about player feedback, e.g. {_EXAMPLES}")
    return Request(scope=query.resolve(), language=language)


def _describe(exc: ValidationError) -> str:
    """Pydantic's errors as one line: ``field: message; ...``."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "query"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)
