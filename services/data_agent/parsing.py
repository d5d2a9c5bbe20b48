"""Reading a question in Korean or English into a ``Query``.

The parser looks for patches (``5.0.13``), maps, matchups (``TvZ``, ``zerg vs
protoss``, ``테저전``, ``저그 대 프로토스``), races, brackets and words that ask for
a change over time. Whatever it does not find is left to the defaults of
``query.resolve``. Names it finds but does not know (``6.1.2``, ``random``) are
refused with the accepted values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from data_agent.domain import MAPS, PATCHES, RACES
from data_agent.query import (
    Language,
    Query,
    QueryError,
    ResolvedQuery,
    normalize_bracket,
    normalize_matchup,
    normalize_patch,
    normalize_race,
    query_from_data,
    resolve,
)

__all__ = [
    "MAX_QUESTION_CHARS",
    "ParsedQuestion",
    "parse_question",
    "question_language",
    "read_request",
]

MAX_QUESTION_CHARS: Final = 4000

_HANGUL: Final = re.compile(r"[\uac00-\ud7a3]")
_PATCH: Final = re.compile(r"(?<![\d.])(\d+\.\d+\.\d+)(?!\.?\d)")
_SINCE: Final = re.compile(
    r"(?:since|compared\s+(?:to|with))\s+(?:patch\s+)?(\d+\.\d+\.\d+)"
    r"|(\d+\.\d+\.\d+)\s*(?:패치\s*)?(?:이후|부터|대비)",
    re.IGNORECASE,
)
_SEP: Final = r"[\s\-_]*"
_MAP_PATTERNS: Final = {
    name: re.compile(
        "|".join(
            [_SEP.join(map(re.escape, re.split(r"[\s\-]+", name.lower().removesuffix(" le"))))]
            + [_SEP.join(re.escape(w) for w in alias.split()) for alias in aliases]
        )
        + rf"(?:{_SEP}le\b)?",
        re.IGNORECASE,
    )
    for name, aliases in {
        "Alcyone LE": ["알키오네", "알시온"],
        "Amphion LE": ["암피온", "앰피온"],
        "Crimson Court LE": ["크림슨 코트"],
        "Dynasty LE": ["다이너스티"],
        "Ghost River LE": ["고스트 리버"],
        "Goldenaura LE": ["골든 오라", "골든오라"],
        "Oceanborn LE": ["오션본"],
        "Post-Youth LE": ["포스트 유스"],
    }.items()
}
_RACE_WORD: Final = r"(?:\b(?:terran|zerg|protoss|toss)s?\b|테란|저그|프로토스|토스)"
_MATCHUP_WORDS: Final = re.compile(
    rf"({_RACE_WORD})\s*(?:vs\.?|versus|v\.?|against|대|와|과|랑)\s*({_RACE_WORD})",
    re.IGNORECASE,
)
_MATCHUP_LETTERS: Final = re.compile(r"\b([tzp])\s*v(?:s\.?|\.)?\s*([tzp])\b", re.IGNORECASE)
_MATCHUP_KO: Final = re.compile(r"테저전|테프전|저프전|저테전|프테전|프저전|테테전|저저전|프프전")
_RACE: Final = re.compile(_RACE_WORD, re.IGNORECASE)
_KO_LETTERS: Final = {"테": "terran", "저": "zerg", "프": "protoss"}
_NOT_A_RACE: Final = re.compile(
    r"\brandom\s+(?:race|players?|win)|\bvs\.?\s+random\b|랜덤", re.IGNORECASE
)
_BRACKET: Final = re.compile(
    r"\b(?:grandmasters?|gm|masters?|diamond|dia|platinum|plat|gold|silver|bronze)\b"
    r"|그랜드\s*마스터|그마|마스터|다이아몬드|다이아|플래티넘|플레티넘|골드|실버|브론즈",
    re.IGNORECASE,
)
_TREND: Final = re.compile(
    r"\b(?:trends?|chang(?:e|es|ed)|compar(?:e|ed|ison)|delta|shift(?:ed)?|since)\b"
    r"|변화|추이|대비|비교|트렌드|달라|바뀌",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """What a text question asks, and the language to answer in."""

    query: Query
    language: Language


def question_language(text: str) -> Language:
    """``ko`` when the text has any Hangul, else ``en``."""
    return "ko" if _HANGUL.search(text) else "en"


def parse_question(text: str) -> ParsedQuestion:
    """Read a Korean or English question into a query (fields it does not mention stay None).

    Raises:
        QueryError: the question is empty or too long, names an unknown patch or race, a
            mirror matchup, more than two patches, or several maps or brackets at once.
    """
    text = text.strip()
    if not text:
        raise QueryError(
            "the question is empty; ask e.g. 'TvZ win rate on patch 5.0.13' or '테란 승률 분석'"
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise QueryError(
            f"the question has {len(text)} characters; at most {MAX_QUESTION_CHARS} are accepted"
        )
    if _NOT_A_RACE.search(text):
        raise QueryError(f"random is not a race the statistics know; accepted: {', '.join(RACES)}")
    patch, compare = _patches(text)
    rest, map_name = _take_map(text)
    rest, matchup = _take_matchup(rest)
    races = sorted({_race_word(found.group(0)) for found in _RACE.finditer(rest)})
    race = races[0] if len(races) == 1 else None
    if matchup is None and len(races) == 2:  # noqa: PLR2004 - two races named: their matchup
        matchup = normalize_matchup(f"{races[0]} vs {races[1]}")
    brackets = {normalize_bracket(m.group(0)) for m in _BRACKET.finditer(rest)}
    if len(brackets) > 1:
        raise QueryError(f"one bracket at a time, please; the question names {_listed(brackets)}")
    trend = compare is not None or bool(_TREND.search(text))
    query = Query(
        race=race,
        matchup=matchup,
        patch=patch,
        compare_patch=compare,
        map=map_name,
        bracket=brackets.pop() if brackets else None,
        kind="trend" if trend else None,
    )
    return ParsedQuestion(query=query, language=question_language(text))


def read_request(text: str, data: Sequence[Any] = ()) -> ResolvedQuery:
    """The query of a request: its DataPart ``{"query": {...}}`` if any, else its text.

    A structured query wins over the text; the text then only picks the language.

    Raises:
        QueryError: nothing to answer, several DataParts, or an invalid question or query.
    """
    if len(text) > MAX_QUESTION_CHARS:
        raise QueryError(
            f"the question has {len(text)} characters; at most {MAX_QUESTION_CHARS} are accepted"
        )
    if len(data) > 1:
        raise QueryError(f'send one DataPart {{"query": {{...}}}}, not {len(data)}')
    if data:
        return resolve(query_from_data(data[0]), question_language(text))
    parsed = parse_question(text)
    return resolve(parsed.query, parsed.language)


def _patches(text: str) -> tuple[str | None, str | None]:
    """(patch, compare patch) named in the text; two patches mean the older is compared."""
    named = list(dict.fromkeys(normalize_patch(m) for m in _PATCH.findall(text)))
    if len(named) > 2:  # noqa: PLR2004 - a patch and the one it is compared with
        raise QueryError(f"at most two patches at a time; the question names {', '.join(named)}")
    if len(named) == 2:  # noqa: PLR2004
        older, newer = sorted(named, key=PATCHES.index)
        return newer, older
    if not named:
        return None, None
    since = _SINCE.search(text)
    if since and (since.group(1) or since.group(2)) == named[0]:
        return None, named[0]  # "since 5.0.12" / "5.0.12 대비": compare it with the latest
    return named[0], None


def _take_map(text: str) -> tuple[str, str | None]:
    """The text without the map it names, and that map."""
    found = {name for name, pattern in _MAP_PATTERNS.items() if pattern.search(text)}
    if len(found) > 1:
        raise QueryError(f"one map at a time, please; the question names {_listed(found)}")
    if not found:
        return text, None
    name = found.pop()
    return _MAP_PATTERNS[name].sub(" ", text), name


def _take_matchup(text: str) -> tuple[str, str | None]:
    """The text without the matchup it names, and that matchup (``TvZ``)."""
    for pattern in (_MATCHUP_KO, _MATCHUP_WORDS, _MATCHUP_LETTERS):
        found = pattern.search(text)
        if found is None:
            continue
        if pattern is _MATCHUP_KO:
            first, second = _KO_LETTERS[found.group(0)[0]], _KO_LETTERS[found.group(0)[1]]
        else:
            first, second = (_race_word(word) for word in found.groups())
        if first == second:
            raise QueryError(
                f"{found.group(0)!r} is a mirror matchup, which the statistics exclude;"
                " accepted: TvZ, TvP, ZvP"
            )
        matchup = normalize_matchup(f"{first} vs {second}")
        return text[: found.start()] + " " + text[found.end() :], matchup
    return text, None


def _race_word(word: str) -> str:
    """The race a word names: ``Terrans`` -> ``terran``, ``토스`` -> ``protoss``."""
    word = word.lower()
    if word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return normalize_race(word)


def _listed(names: set[str]) -> str:
    return ", ".join(sorted(names))


assert set(_MAP_PATTERNS) == set(MAPS)  # noqa: S101 - every map has a pattern
