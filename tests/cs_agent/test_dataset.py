"""The generated tickets: size, determinism, languages, patches and varied texts."""

from collections import Counter

import pytest

from cs_agent.dataset import MIN_TICKETS, Ticket, generate_tickets
from cs_agent.domain import PATCHES, RACES
from cs_agent.templates import TEMPLATES


def test_the_default_dataset_has_twelve_thousand_tickets(tickets: list[Ticket]) -> None:
    """The default is 12,000 tickets with unique ids in date order."""
    assert len(tickets) == 12000
    assert len({t.id for t in tickets}) == len(tickets)
    assert [t.created_on for t in tickets] == sorted(t.created_on for t in tickets)
    assert tickets[0].id == "CS-00001"


def test_fewer_than_the_minimum_is_refused() -> None:
    """Below 10,000 tickets generation refuses and says how many it needs."""
    with pytest.raises(ValueError, match="at least 10000"):
        generate_tickets(1, MIN_TICKETS - 1)


def test_the_same_seed_gives_the_same_tickets(tickets: list[Ticket]) -> None:
    """Generation depends on the seed only."""
    again = generate_tickets(20261203, 12000)
    other = generate_tickets(7, 12000)

    assert again == tickets
    assert [t.text for t in other] != [t.text for t in tickets]


def test_about_sixty_percent_are_korean(tickets: list[Ticket]) -> None:
    """Tickets are a 60/40 mix of Korean and English, and their text is in that language."""
    languages = Counter(t.language for t in tickets)

    assert 0.57 <= languages["ko"] / len(tickets) <= 0.63
    assert all(any("가" <= c <= "힣" for c in t.text) for t in tickets if t.language == "ko")
    assert not any(any("가" <= c <= "힣" for c in t.text) for t in tickets if t.language == "en")


def test_each_patch_has_about_a_quarter_within_its_dates(tickets: list[Ticket]) -> None:
    """Every ticket's date lies in its patch; each patch holds 20-30% of the tickets."""
    per_patch = Counter(t.patch for t in tickets)
    dates = {p.name: (p.start, p.end) for p in PATCHES}

    assert all(0.2 <= per_patch[p.name] / len(tickets) <= 0.3 for p in PATCHES)
    assert all(dates[t.patch][0] <= t.created_on <= dates[t.patch][1] for t in tickets)


def test_tickets_are_about_a_race_or_general(tickets: list[Ticket]) -> None:
    """Race is one of the three races, or None for general tickets; both kinds exist."""
    races = Counter(t.race for t in tickets)

    assert set(races) == {*RACES, None}
    assert races[None] > len(tickets) / 3


def test_texts_vary(tickets: list[Ticket]) -> None:
    """At least 40 templates per language with slots give thousands of distinct texts."""
    templates = {lang: sum(map(len, kinds.values())) for lang, kinds in TEMPLATES.items()}

    assert templates["ko"] >= 40
    assert templates["en"] >= 40
    assert len({t.text for t in tickets}) > 3000


def test_korean_particles_follow_the_final_consonant(tickets: list[Ticket]) -> None:
    """Slots get 은/는, 이/가, 으로/로 by the word's last sound: '테란으로', '저그로'."""
    texts = " ".join(t.text for t in tickets if t.language == "ko")

    assert "테란으로 하는데" in texts
    assert "저그로 하는데" in texts
    assert "테란은 " in texts
    assert "테란는" not in texts
    assert "프로토스은" not in texts
