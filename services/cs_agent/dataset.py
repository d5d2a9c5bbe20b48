"""Player feedback tickets, generated deterministically from a seed.

``generate_tickets(seed, count)`` writes about a quarter of the tickets per patch,
60% in Korean and 40% in English, from the templates in ``templates``. What the
community complains about follows the balance story of the shared domain: Zerg
draws the most race complaints in 5.0.12, Terran about 45% of them in 5.0.13,
easing in 5.0.14. General tickets drift too: bugs spike with 5.0.12, performance
with 5.0.13 and matchmaking with 5.0.14.

Only ``random.Random(seed)`` is used, so the same seed gives the same tickets on
every machine.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from cs_agent.domain import BRACKET_KO, BRACKETS, MAPS, PATCHES, RACE_KO, RACES, UNITS, Patch
from cs_agent.templates import GENERAL_KINDS, PREFIXES, RACE_KINDS, SUFFIXES, TEMPLATES

__all__ = ["DEFAULT_SEED", "DEFAULT_TICKETS", "MIN_TICKETS", "Ticket", "generate_tickets"]

DEFAULT_SEED: Final = 20261203
DEFAULT_TICKETS: Final = 12000
MIN_TICKETS: Final = 10000

Language = Literal["ko", "en"]

_KOREAN_SHARE: Final = 0.6
_PATCH_WEIGHTS: Final = (0.24, 0.25, 0.27, 0.24)
_RACE_TICKET_SHARE: Final = (0.34, 0.42, 0.48, 0.38)
"""Per patch: the share of tickets about one race (the rest are general)."""
_RACE_KIND_WEIGHTS: Final = (
    (0.55, 0.10, 0.15, 0.20),
    (0.66, 0.10, 0.10, 0.14),
    (0.70, 0.08, 0.08, 0.14),
    (0.58, 0.10, 0.16, 0.16),
)
"""Per patch, weights of ``RACE_KINDS``: complaints grow with the imbalance."""
_COMPLAINT_RACE_WEIGHTS: Final = (
    (0.33, 0.34, 0.33),
    (0.26, 0.48, 0.26),
    (0.46, 0.22, 0.32),
    (0.37, 0.31, 0.32),
)
"""Per patch, which race a balance complaint is about (terran, zerg, protoss)."""
_GENERAL_KIND_WEIGHTS: Final = (
    (0.20, 0.16, 0.14, 0.14, 0.12, 0.10, 0.14),
    (0.18, 0.24, 0.13, 0.14, 0.11, 0.09, 0.11),
    (0.19, 0.17, 0.14, 0.18, 0.12, 0.09, 0.11),
    (0.27, 0.15, 0.13, 0.13, 0.11, 0.09, 0.12),
)
"""Per patch, weights of ``GENERAL_KINDS``."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """One player feedback ticket.

    ``race`` is the race the ticket is about, None for a general ticket.
    """

    id: str
    created_on: dt.date
    patch: str
    race: str | None
    language: Language
    text: str


def generate_tickets(seed: int = DEFAULT_SEED, count: int = DEFAULT_TICKETS) -> list[Ticket]:
    """``count`` tickets for ``seed``, ordered by date, with ids ``CS-00001``...

    Raises:
        ValueError: ``count`` is below ``MIN_TICKETS``.
    """
    if count < MIN_TICKETS:
        raise ValueError(
            f"{count} tickets are too few: generate at least {MIN_TICKETS} "
            f"(the default is {DEFAULT_TICKETS})"
        )
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    plan = _plan(count)
    rng.shuffle(plan)
    drafts = [_draft(rng, *slot) for slot in plan]
    drafts.sort(key=lambda d: d[0])  # stable: same-day tickets keep their shuffled order
    return [
        Ticket(f"CS-{i:05d}", created_on, patch, race, language, text)
        for i, (created_on, patch, race, language, text) in enumerate(drafts, start=1)
    ]


def _plan(count: int) -> list[tuple[Patch, str, str | None]]:
    """Patch, kind and race of every ticket, in the proportions the story asks for.

    Quotas rather than independent draws keep the story exact for any seed; the seed
    decides the order, the dates, the language and the words.
    """
    plan: list[tuple[Patch, str, str | None]] = []
    for index, in_patch in enumerate(_apportion(count, _PATCH_WEIGHTS)):
        patch = PATCHES[index]
        about_race = round(in_patch * _RACE_TICKET_SHARE[index])
        kinds = _apportion(about_race, _RACE_KIND_WEIGHTS[index])
        for kind, of_kind in zip(RACE_KINDS, kinds, strict=True):
            complaint = kind == "balance-complaint"
            races = _apportion(of_kind, _COMPLAINT_RACE_WEIGHTS[index] if complaint else (1, 1, 1))
            for race, of_race in zip(RACES, races, strict=True):
                plan += [(patch, kind, race)] * of_race
        general = _apportion(in_patch - about_race, _GENERAL_KIND_WEIGHTS[index])
        for kind, of_kind in zip(GENERAL_KINDS, general, strict=True):
            plan += [(patch, kind, None)] * of_kind
    return plan


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties to the first)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _draft(
    rng: random.Random, patch: Patch, kind: str, race: str | None
) -> tuple[dt.date, str, str | None, Language, str]:
    created_on = patch.start + dt.timedelta(days=rng.randrange(patch.days))
    language: Language = "ko" if rng.random() < _KOREAN_SHARE else "en"
    template = rng.choice(TEMPLATES[language][kind])
    body = template.format(**_slots(rng, language, race))
    suffix = rng.choice(SUFFIXES[language])
    if suffix[1:2].isupper() and body[-1] not in ".?!":
        body += "."
    text = rng.choice(PREFIXES[language]) + body + suffix
    return created_on, patch.name, race, language, text


def _slots(rng: random.Random, language: Language, race: str | None) -> dict[str, str]:
    """Values for every template slot (unused ones are ignored by ``format``)."""
    subject = race or rng.choice(RACES)
    enemy = rng.choice([r for r in RACES if r != subject])
    unit, unit2 = rng.sample(UNITS[subject], 2)
    low = rng.randrange(len(BRACKETS) - 1)
    bracket, bracket2 = BRACKETS[low], BRACKETS[rng.randrange(low + 1, len(BRACKETS))]
    words = {
        "race": RACE_KO[subject] if language == "ko" else subject.capitalize(),
        "enemy": RACE_KO[enemy] if language == "ko" else enemy.capitalize(),
        "unit": unit.ko if language == "ko" else unit.en,
        "unit2": unit2.ko if language == "ko" else unit2.en,
        "map": rng.choice(MAPS),
        "bracket": BRACKET_KO[bracket] if language == "ko" else bracket.capitalize(),
        "bracket2": BRACKET_KO[bracket2] if language == "ko" else bracket2.capitalize(),
    }
    slots = {"n": str(rng.randint(2, 9)), "mins": str(rng.randint(3, 15)), **words}
    for name, word in words.items():
        for suffix, particles in _PARTICLES.items():
            slots[f"{name}_{suffix}"] = word + _particle(word, particles)
    return slots


_PARTICLES: Final = {
    "eun": ("은", "는"),
    "i": ("이", "가"),
    "eul": ("을", "를"),
    "gwa": ("과", "와"),
    "ro": ("으로", "로"),
    "rang": ("이랑", "랑"),
}
_HANGUL_FIRST: Final = 0xAC00
_HANGUL_LAST: Final = 0xD7A3
_RIEUL: Final = 8  # final-consonant index of ㄹ, which takes 로 rather than 으로


def _particle(word: str, particles: tuple[str, str]) -> str:
    """The particle that fits after ``word``: with a final consonant, or without."""
    code = ord(word[-1])
    if not _HANGUL_FIRST <= code <= _HANGUL_LAST:
        return particles[1]  # Latin names such as "Ghost River LE" end in a vowel sound
    final = (code - _HANGUL_FIRST) % 28
    if not final or (particles[1] == "로" and final == _RIEUL):
        return particles[1]
    return particles[0]
