"""Topic and sentiment read from hand-written Korean and English sentences."""

import pytest

from cs_agent.logic import classify_topic, is_complaint, sentiment_score, topic_hits


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("The Widow Mine is completely overpowered, nerf it already", "unit-balance"),
        ("저그 바퀴 너무 사기임 밸런스 좀", "unit-balance"),
        ("I waited ten minutes in the queue and got matched with a grandmaster", "matchmaking"),
        ("매칭 시간이 너무 길어요", "matchmaking"),
        ("The client crashed twice tonight", "bugs"),
        ("게임하다가 버그 때문에 튕겼어요", "bugs"),
        ("Constant lag and low fps in team fights", "performance"),
        ("렉 때문에 컨트롤을 못 하겠어요", "performance"),
        ("This map is way too big for early pressure", "maps"),
        ("새 맵들 구조가 이상해요", "maps"),
        ("He kept sending toxic messages in chat", "toxicity"),
        ("상대가 경기 끝나고 욕설을 했어요", "toxicity"),
        ("Where is the hotkey menu now?", "ui"),
        ("단축키 바꾸는 메뉴가 어디 있나요", "ui"),
        ("Thank you, I am happy with this game", "praise"),
        ("개발진 여러분 고생 많으셨어요 감사합니다", "praise"),
        ("When does the next season start?", "other"),
    ],
)
def test_topics_are_read_from_keywords(text: str, topic: str) -> None:
    """The topic with most keyword hits wins; no keywords is praise when positive, else other."""
    assert classify_topic(text) == topic


def test_a_unit_name_alone_counts_half_towards_balance() -> None:
    """'Archon bug' is a bug report about a unit, not a balance complaint."""
    assert topic_hits("Archon bug") == {"unit-balance": 0.5, "bugs": 1.0}

    assert classify_topic("Archon bug") == "bugs"


def test_english_keywords_match_whole_words_also_next_to_korean() -> None:
    """'OP' matches in '이거 OP임' but not inside 'operator' or 'stop'."""
    assert "unit-balance" in topic_hits("이거 OP임")

    assert topic_hits("the operator said stop") == {}


@pytest.mark.parametrize(
    "text",
    [
        "This patch is great, thanks!",
        "Really enjoying the new maps",
        "The game is not bad at all",
        "I have no problem with Zerg now",
        "이번 패치 정말 좋아요",
        "나쁘지 않네요",
        "버그가 없어서 좋아요",
        "렉이 없어졌어요",
    ],
)
def test_praise_is_positive(text: str) -> None:
    """Praise scores above zero, also when it is a negated complaint ('not bad', '나쁘지 않')."""
    assert sentiment_score(text) > 0


@pytest.mark.parametrize(
    "text",
    [
        "Terrible balance, Terran wins everything",
        "This patch isn't good",
        "Ladder is not fun anymore",
        "I can't win against this",
        "Not great and the lag is terrible",
        "안 좋아요",
        "좋지 않네요",
        "재미없어요",
        "별로 안 좋아요",
        "테란 개사기네요 진짜",
        "말이 안 돼요 이건",
    ],
)
def test_complaints_are_negative(text: str) -> None:
    """Complaints score below zero, also when praise is negated ('not good', '안 좋아요')."""
    score = sentiment_score(text)

    assert score < 0
    assert is_complaint(score)


@pytest.mark.parametrize(
    "text",
    ["How do I build a Barracks?", "오늘 래더 몇 판 했어요", "When is the next patch?", ""],
)
def test_neutral_text_scores_zero(text: str) -> None:
    """Questions without sentiment words are neither praise nor complaint."""
    assert sentiment_score(text) == 0
    assert not is_complaint(0)


def test_scores_stay_within_minus_one_and_one() -> None:
    """However many strong words a text has, its score stays in [-1, 1]."""
    worst = sentiment_score("worst awful terrible garbage trash " * 20)
    best = sentiment_score("great amazing perfect love 최고 " * 20)

    assert -1 <= worst < -0.9
    assert 0.9 < best <= 1


def test_intensifiers_strengthen_and_negation_softens() -> None:
    """'really bad' is worse than 'bad'; 'not bad' is milder praise than 'good'."""
    assert sentiment_score("really bad") < sentiment_score("bad") < 0
    assert 0 < sentiment_score("not bad") < sentiment_score("good")
    assert sentiment_score("너무 싫어요") < sentiment_score("싫어요") < 0


def test_negation_ends_with_the_clause() -> None:
    """A negator does not reach past a comma or 'but': 'not cheap, but good' is praise."""
    assert sentiment_score("It is not cheap, but good") > 0
    assert sentiment_score("not that, good") > 0
