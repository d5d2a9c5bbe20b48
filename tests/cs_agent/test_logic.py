"""Complaint volume, top topics, sentiment and change between patches, on hand-made tickets."""

import datetime as dt

import pytest

from cs_agent.dataset import Ticket
from cs_agent.logic import (
    SCHEMA,
    Scope,
    Scored,
    build_answer,
    complaint_table,
    group_by_patch,
    relative_change,
    score_tickets,
    sentiment_summary,
    top_topics,
)


def row(patch: str, race: str | None, topic: str, sentiment: float, text: str = "t") -> Scored:
    ticket = Ticket("CS-1", dt.date(2026, 8, 1), patch, race, "en", text)
    return Scored(ticket, topic, sentiment)


NOW = [
    row("5.0.13", "terran", "unit-balance", -0.8, "Siege Tank is broken"),
    row("5.0.13", "terran", "unit-balance", -0.5, "Terran OP"),
    row("5.0.13", "terran", "bugs", 0.4, "Marine bug fixed, thanks"),
    row("5.0.13", "zerg", "unit-balance", -0.3, "nerf roach"),
    row("5.0.13", None, "matchmaking", -0.6, "queue is slow"),
    row("5.0.13", None, "praise", 0.9, "great game"),
]
THEN = [
    row("5.0.12", "terran", "unit-balance", -0.4),
    row("5.0.12", "zerg", "unit-balance", -0.4),
    row("5.0.12", "zerg", "unit-balance", -0.4),
    row("5.0.12", None, "matchmaking", 0.2),
]


def test_complaints_per_race_count_negative_race_tickets_only() -> None:
    """General complaints and positive race tickets are not race complaints."""
    table = complaint_table(NOW, THEN)

    assert table["terran"] == {"count": 2, "share": 0.6667, "previous": 1, "change": 1.0}
    assert table["zerg"] == {"count": 1, "share": 0.3333, "previous": 2, "change": -0.5}
    assert table["protoss"] == {"count": 0, "share": 0.0, "previous": 0, "change": None}


def test_without_a_compared_patch_there_is_no_change() -> None:
    """The first patch has nothing to compare with: previous and change are None."""
    table = complaint_table(NOW)

    assert table["terran"]["previous"] is None
    assert table["terran"]["change"] is None


@pytest.mark.parametrize(
    ("now", "then", "change"), [(135, 100, 0.35), (50, 100, -0.5), (3, 0, None), (3, None, None)]
)
def test_relative_change(now: int, then: int | None, change: float | None) -> None:
    """Change is relative to the earlier count, None when there is nothing to divide by."""
    assert relative_change(now, then) == change


def test_top_topics_are_ranked_by_count_with_their_change() -> None:
    """Topics come most frequent first, ties in topic order, cut at the limit."""
    topics = top_topics(NOW, previous=THEN, limit=2)

    assert topics == [
        {"topic": "unit-balance", "count": 3, "share": 0.5, "previous": 3, "change": 0.0},
        {"topic": "matchmaking", "count": 1, "share": 0.1667, "previous": 1, "change": 0.0},
    ]


def test_top_topics_for_a_race_look_at_its_tickets_only() -> None:
    """With a focus race only that race's tickets are counted."""
    topics = top_topics(NOW, race="terran")

    assert [(t["topic"], t["count"], t["share"]) for t in topics] == [
        ("unit-balance", 2, 0.6667),
        ("bugs", 1, 0.3333),
    ]


def test_sentiment_summary_overall_and_per_race() -> None:
    """Mean sentiment and negative share, for all tickets and each race."""
    summary = sentiment_summary(NOW)

    assert summary["mean"] == pytest.approx(-0.15)
    assert summary["negative_share"] == 0.6667
    assert summary["by_race"]["terran"] == {"mean": -0.3, "negative_share": 0.6667}
    assert summary["by_race"]["protoss"] == {"mean": 0.0, "negative_share": 0.0}


def test_the_answer_has_the_schema_fields_and_samples_of_the_focus() -> None:
    """The DataPart carries every schema field; samples are the focus race's complaints."""
    by_patch = {"5.0.12": THEN, "5.0.13": NOW}

    answer = build_answer(by_patch, Scope("5.0.13", "5.0.12", race="terran"))

    assert answer["schema"] == SCHEMA
    assert answer["query"] == {
        "race": "terran",
        "patch": "5.0.13",
        "compare_patch": "5.0.12",
        "topic": None,
    }
    assert (answer["patch"], answer["previous_patch"]) == ("5.0.13", "5.0.12")
    assert (answer["tickets"], answer["complaints"]) == (6, 4)
    assert answer["complaints_by_race"]["terran"]["count"] == 2
    assert answer["top_topics"][0]["topic"] == "unit-balance"
    assert answer["focus_race"] == "terran"
    assert answer["focus_topic"] is None
    assert answer["samples"] == ["Siege Tank is broken", "Terran OP"]


def test_a_focus_topic_gets_its_own_count_and_change() -> None:
    """Asking about a topic adds its count now and then."""
    by_patch = {"5.0.12": THEN, "5.0.13": NOW}

    answer = build_answer(by_patch, Scope("5.0.13", "5.0.12", topic="matchmaking"))

    assert answer["focus_topic"] == {
        "topic": "matchmaking",
        "count": 1,
        "share": 0.1667,
        "previous": 1,
        "change": 0.0,
    }
    assert answer["samples"] == ["queue is slow"]


def test_scoring_reads_topic_and_sentiment_from_the_text() -> None:
    """score_tickets needs nothing but the ticket: topic and sentiment come from its text."""
    ticket = Ticket("CS-9", dt.date(2026, 9, 2), "5.0.14", None, "ko", "매칭이 너무 오래 걸려요")

    (scored,) = score_tickets([ticket])

    assert scored.topic == "matchmaking"
    assert scored.complaint
    assert group_by_patch([scored])["5.0.14"] == [scored]
