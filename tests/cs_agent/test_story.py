"""The balance story of the shared domain, as the analysis reads it from the generated tickets."""

from cs_agent.logic import Scored, complaint_table, topic_counts


def shares(by_patch: dict[str, list[Scored]], patch: str) -> dict[str, float]:
    return {race: e["share"] for race, e in complaint_table(by_patch[patch]).items()}


def counts(by_patch: dict[str, list[Scored]], race: str) -> list[int]:
    return [complaint_table(rows)[race]["count"] for rows in by_patch.values()]


def test_terran_complaints_spike_in_5_0_13(by_patch: dict[str, list[Scored]]) -> None:
    """Terran's share of race complaints grows from 5.0.12 to about 45% in 5.0.13, the largest."""
    before, during = shares(by_patch, "5.0.12"), shares(by_patch, "5.0.13")

    assert during["terran"] > before["terran"]
    assert max(during, key=during.__getitem__) == "terran"
    assert 0.40 <= during["terran"] <= 0.50


def test_terran_complaints_ease_in_5_0_14(by_patch: dict[str, list[Scored]]) -> None:
    """After the spike Terran complaints fall, in count and in share."""
    assert counts(by_patch, "terran")[3] < counts(by_patch, "terran")[2]
    assert shares(by_patch, "5.0.14")["terran"] < shares(by_patch, "5.0.13")["terran"]


def test_zerg_complaints_peak_in_5_0_12(by_patch: dict[str, list[Scored]]) -> None:
    """Zerg draws the most complaints of any patch in 5.0.12, and the largest share there."""
    zerg = counts(by_patch, "zerg")
    during = shares(by_patch, "5.0.12")

    assert zerg.index(max(zerg)) == 1
    assert max(during, key=during.__getitem__) == "zerg"


def test_5_0_11_is_balanced(by_patch: dict[str, list[Scored]]) -> None:
    """In the balanced first patch no race draws much more than a third of complaints."""
    assert all(0.28 <= share <= 0.38 for share in shares(by_patch, "5.0.11").values())


def test_matchmaking_tickets_rise_in_5_0_14(by_patch: dict[str, list[Scored]]) -> None:
    """Matchmaking feedback grows with the last patch."""
    matchmaking = [topic_counts(rows)["matchmaking"] for rows in by_patch.values()]

    assert matchmaking[3] > matchmaking[2]
    assert matchmaking.index(max(matchmaking)) == 3
