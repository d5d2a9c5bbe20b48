"""Pure analysis of feedback tickets: topic, sentiment, complaints and their change.

Topic and sentiment are read from a ticket's text with the lexicons in
``lexicon``; the analysis otherwise uses only a ticket's fields (patch, race,
language), never how it was generated, so it runs unchanged on real tickets.
A complaint is a ticket with negative sentiment.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cs_agent import lexicon as lx
from cs_agent.dataset import Ticket
from cs_agent.domain import PATCH_NAMES, RACES, TOPICS

__all__ = [
    "MAX_SAMPLES",
    "SCHEMA",
    "TOP_TOPICS",
    "Scope",
    "Scored",
    "build_answer",
    "classify_topic",
    "complaint_table",
    "group_by_patch",
    "is_complaint",
    "relative_change",
    "score_tickets",
    "sentiment_score",
    "sentiment_summary",
    "top_topics",
    "topic_counts",
    "topic_hits",
]

SCHEMA: Final = "agentbus.cs.feedback/v1"
TOP_TOPICS: Final = 5
MAX_SAMPLES: Final = 3
SAMPLE_CHARS: Final = 120
_SQUASH: Final = 4.0  # score = total / sqrt(total² + 4): one plain word gives ±0.45
_NEGATED: Final = -0.75  # "not bad" is milder praise than "good"
_INTENSIFIED: Final = 1.5
_EN_SCOPE: Final = 3
_NEAR_DUPLICATE: Final = 0.5  # samples sharing more than half their words are one complaint


_CLAUSES: Final = re.compile(r"[.!?;,:\n]+|\s+(?:but|however|하지만|근데|그런데)\s+")
_TOKENS: Final = re.compile(r"[a-z0-9'\-]+|[가-힣]+")


def _normalise(text: str) -> str:
    return text.lower().replace("\u2019", "'")


def topic_hits(text: str) -> dict[str, float]:
    """How many keywords of each topic ``text`` contains (topics without any are left out).

    A unit's name counts half towards ``unit-balance``.
    """
    norm = _normalise(text)
    hits = {topic: float(len(p.findall(norm))) for topic, p in lx.TOPIC_PATTERNS.items()}
    hits["unit-balance"] += lx.UNIT_HINT_WEIGHT * len(lx.UNIT_NAME_PATTERN.findall(norm))
    return {topic: n for topic, n in hits.items() if n}


def classify_topic(text: str, sentiment: float | None = None) -> str:
    """The topic with most keyword hits (ties go to the earlier of ``TOPICS``).

    Text without topic keywords is ``praise`` when positive, else ``other``.
    """
    hits = topic_hits(text)
    if hits:
        return max(hits, key=lambda t: (hits[t], -TOPICS.index(t)))
    positive = (sentiment_score(text) if sentiment is None else sentiment) > 0
    return "praise" if positive else "other"


def sentiment_score(text: str) -> float:
    """Sentiment of ``text`` in [-1, 1]: negative for complaints, 0 when neutral."""
    total = sum(_clause_value(clause) for clause in _CLAUSES.split(_normalise(text)))
    return round(total / math.sqrt(total * total + _SQUASH), 4)


def is_complaint(sentiment: float) -> bool:
    """A complaint is a ticket with negative sentiment."""
    return sentiment < 0


def _clause_value(clause: str) -> float:
    value = 0.0
    for pattern, weight in lx.PHRASE_PATTERNS:
        clause, found = pattern.subn(" ", clause)
        value += found * weight
    tokens = _TOKENS.findall(clause)
    scope = 0  # words left in an English negation's scope
    for i, token in enumerate(tokens):
        if token in lx.NEGATORS_EN:
            scope = _EN_SCOPE
            continue
        if token in lx.SCOPE_BREAKERS:
            scope = 0
            continue
        weight = _word_weight(token)
        if weight:
            if i and tokens[i - 1] in lx.INTENSIFIERS:
                weight *= _INTENSIFIED
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            if scope or _korean_negated(tokens[i - 1] if i else "", token, following):
                weight *= _NEGATED
            value += weight
        scope = max(scope - 1, 0)
    return value


def _word_weight(token: str) -> float:
    if token in lx.EN_EXACT:
        return lx.EN_EXACT[token]
    if match := lx.EN_PREFIX_PATTERN.match(token):
        return lx.EN_PREFIXES[match.group()]
    if match := lx.KO_STEM_PATTERN.search(token):
        return lx.SENTIMENT_KO[match.group()]
    return 0.0


def _korean_negated(previous: str, token: str, following: str) -> bool:
    if previous in lx.KO_NEGATORS or following.startswith("없"):
        return True
    return following.startswith(lx.KO_NEGATED_BY_NEXT) and token.endswith(
        lx.KO_SUFFIX_NEGATION_ENDINGS
    )


@dataclass(frozen=True, slots=True)
class Scored:
    """A ticket with the topic and sentiment read from its text."""

    ticket: Ticket
    topic: str
    sentiment: float

    @property
    def complaint(self) -> bool:
        """Whether the ticket is a complaint (negative sentiment)."""
        return is_complaint(self.sentiment)


def score_tickets(tickets: Iterable[Ticket]) -> list[Scored]:
    """Read topic and sentiment of every ticket."""
    scored = []
    for ticket in tickets:
        sentiment = sentiment_score(ticket.text)
        scored.append(Scored(ticket, classify_topic(ticket.text, sentiment), sentiment))
    return scored


def group_by_patch(scored: Iterable[Scored]) -> dict[str, list[Scored]]:
    """Scored tickets per patch, every known patch present."""
    groups: dict[str, list[Scored]] = {name: [] for name in PATCH_NAMES}
    for row in scored:
        groups.setdefault(row.ticket.patch, []).append(row)
    return groups


def relative_change(now: int, then: int | None) -> float | None:
    """``(now - then) / then`` rounded to 4 places; None without a base to compare with."""
    if not then:
        return None
    return round((now - then) / then, 4)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _counted(key: str, now: Counter[str], then: Counter[str] | None) -> dict[str, Any]:
    """Count and share of ``key`` now, and its count and change in the compared patch."""
    return {
        "count": now[key],
        "share": _share(now[key], now.total()),
        "previous": then[key] if then is not None else None,
        "change": relative_change(now[key], then[key]) if then is not None else None,
    }


def complaint_table(
    rows: Sequence[Scored], previous: Sequence[Scored] | None = None
) -> dict[str, dict[str, Any]]:
    """Complaints per race: count, share of race complaints, and change from ``previous``."""

    def count(group: Sequence[Scored]) -> Counter[str]:
        return Counter(r.ticket.race for r in group if r.complaint and r.ticket.race)

    now, then = count(rows), count(previous) if previous is not None else None
    return {race: _counted(race, now, then) for race in RACES}


def topic_counts(rows: Sequence[Scored], race: str | None = None) -> Counter[str]:
    """Tickets per topic (of ``race``'s tickets if given)."""
    return Counter(r.topic for r in rows if race is None or r.ticket.race == race)


def top_topics(
    rows: Sequence[Scored],
    *,
    race: str | None = None,
    previous: Sequence[Scored] | None = None,
    limit: int = TOP_TOPICS,
) -> list[dict[str, Any]]:
    """The most frequent topics (of ``race``'s tickets if given), with their change."""
    now = topic_counts(rows, race)
    then = topic_counts(previous, race) if previous is not None else None
    ranked = sorted(now, key=lambda t: (-now[t], TOPICS.index(t)))[:limit]
    return [{"topic": topic, **_counted(topic, now, then)} for topic in ranked]


def _mood(rows: Sequence[Scored]) -> dict[str, float]:
    if not rows:
        return {"mean": 0.0, "negative_share": 0.0}
    return {
        "mean": round(sum(r.sentiment for r in rows) / len(rows), 4),
        "negative_share": _share(sum(r.complaint for r in rows), len(rows)),
    }


def sentiment_summary(rows: Sequence[Scored]) -> dict[str, Any]:
    """Mean sentiment and share of complaints, overall and per race."""
    by_race = {race: _mood([r for r in rows if r.ticket.race == race]) for race in RACES}
    return {**_mood(rows), "by_race": by_race}


def _samples(rows: Sequence[Scored], language: str) -> list[str]:
    """Up to ``MAX_SAMPLES`` texts, most negative first, ``language`` preferred.

    A text that shares more than half of its words with one already picked (of the
    shorter one's words) is a near-duplicate and skipped, so samples differ.
    """
    picked: list[str] = []
    seen: list[set[str]] = []
    for row in sorted(rows, key=lambda r: (r.ticket.language != language, r.sentiment)):
        words = set(_TOKENS.findall(_normalise(row.ticket.text)))
        if any(len(words & o) > _NEAR_DUPLICATE * min(len(words), len(o)) for o in seen):
            continue
        text = row.ticket.text
        picked.append(text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…")
        seen.append(words)
        if len(picked) == MAX_SAMPLES:
            break
    return picked


@dataclass(frozen=True, slots=True)
class Scope:
    """What to analyse: a patch, what to compare it with, and an optional focus."""

    patch: str
    compare_patch: str | None
    race: str | None = None
    topic: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The scope as the answer's ``query``."""
        return {
            "race": self.race,
            "patch": self.patch,
            "compare_patch": self.compare_patch,
            "topic": self.topic,
        }


def build_answer(
    by_patch: Mapping[str, Sequence[Scored]], scope: Scope, language: str = "en"
) -> dict[str, Any]:
    """The answer's DataPart (schema ``agentbus.cs.feedback/v1``) for ``scope``."""
    rows = by_patch[scope.patch]
    previous = by_patch[scope.compare_patch] if scope.compare_patch else None
    focus = [
        r
        for r in rows
        if (scope.race is None or r.ticket.race == scope.race)
        and (scope.topic is None or r.topic == scope.topic)
    ]
    complaints = [r for r in focus if r.complaint]
    answer: dict[str, Any] = {
        "schema": SCHEMA,
        "query": scope.as_dict(),
        "patch": scope.patch,
        "previous_patch": scope.compare_patch,
        "tickets": len(rows),
        "complaints": sum(r.complaint for r in rows),
        "complaints_by_race": complaint_table(rows, previous),
        "top_topics": top_topics(rows, race=scope.race, previous=previous),
        "sentiment": sentiment_summary(rows),
        "focus_race": scope.race,
        "focus_topic": None,
        "samples": _samples(complaints or focus, language),
    }
    if scope.topic is not None:
        then = topic_counts(previous, scope.race) if previous is not None else None
        counted = _counted(scope.topic, topic_counts(rows, scope.race), then)
        answer["focus_topic"] = {"topic": scope.topic, **counted}
    return answer
