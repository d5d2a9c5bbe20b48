"""Bilingual lexicons for reading tickets: topic keywords and sentiment words.

English entries are whole words (a trailing ``*`` also matches longer words:
``crash*`` matches "crashes"); Korean entries are stems found anywhere in a word,
since particles and endings attach to them ("버그가", "좋아요"). Phrases are
matched before words and consume their text. Weights are positive for praise and
negative for complaints; 2 is strong ("worst", "최악"), 1 is plain. The compiled
matchers at the end are built once from these words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from cs_agent.domain import MAPS, UNITS

__all__ = [
    "EN_EXACT",
    "EN_PREFIXES",
    "EN_PREFIX_PATTERN",
    "INTENSIFIERS",
    "KO_NEGATED_BY_NEXT",
    "KO_NEGATORS",
    "KO_STEM_PATTERN",
    "KO_SUFFIX_NEGATION_ENDINGS",
    "NEGATORS_EN",
    "PHRASES_EN",
    "PHRASES_KO",
    "PHRASE_PATTERNS",
    "SCOPE_BREAKERS",
    "SENTIMENT_EN",
    "SENTIMENT_KO",
    "TOPIC_PATTERNS",
    "TOPIC_WORDS_EN",
    "TOPIC_WORDS_KO",
    "UNIT_HINT_WEIGHT",
    "UNIT_NAMES_EN",
    "UNIT_NAMES_KO",
    "UNIT_NAME_PATTERN",
]

UNIT_NAMES_EN: Final = tuple(u.en.lower() for units in UNITS.values() for u in units)
UNIT_NAMES_KO: Final = tuple(u.ko for units in UNITS.values() for u in units)
"""A unit's name hints at ``unit-balance`` with half a keyword's weight: "Archon bug" is a bug."""
UNIT_HINT_WEIGHT: Final = 0.5
_MAP_NAMES: Final = tuple(m.removesuffix(" LE").lower() for m in MAPS)

TOPIC_WORDS_EN: Final[dict[str, tuple[str, ...]]] = {
    "unit-balance": (
        "balance", "balanced", "imbalance*", "unbalanced", "op", "overpowered", "underpowered",
        "nerf*", "buff*", "unbeatable", "too strong", "damage",
    ),
    "matchmaking": (
        "matchmaking", "matchmaker", "matched", "mmr", "queue*", "ladder", "opponents",
    ),
    "bugs": (
        "bug", "bugs", "buggy", "glitch*", "crash*", "error*", "stuck", "freez*", "froze",
        "desync*", "doesn't work", "not working", "can't log in",
    ),
    "maps": ("map", "maps", "map pool", "rush distance", "spawn*", *_MAP_NAMES),
    "performance": (
        "lag*", "fps", "frame*", "stutter*", "ping", "latency", "loading", "slow",
    ),
    "toxicity": (
        "toxic*", "flam*", "insult*", "harass*", "bm", "abus*", "racist", "chat", "ban",
    ),
    "ui": ("ui", "interface", "menu*", "button*", "hotkey*", "font*", "settings", "minimap"),
}  # fmt: skip

TOPIC_WORDS_KO: Final[dict[str, tuple[str, ...]]] = {
    "unit-balance": (
        "밸런스", "밸붕", "사기", "너프", "버프", "상향", "하향", "조합", "데미지",
    ),
    "matchmaking": ("매칭", "매치메이킹", "대기열", "연패"),
    "bugs": ("버그", "오류", "튕", "크래시", "멈춰", "멈춤", "먹통", "끼는", "접속이 안"),
    "maps": ("맵", "러시 거리", "러쉬 거리", "지형"),
    "performance": ("렉", "프레임", "끊겨", "끊김", "버벅", "핑", "로딩", "딜레이", "느려", "느리"),
    "toxicity": ("욕설", "욕을", "욕하", "비매너", "패드립", "트롤", "제재", "채팅"),
    "ui": ("인터페이스", "메뉴", "버튼", "단축키", "폰트", "글씨", "설정"),
}  # fmt: skip

SENTIMENT_EN: Final[dict[str, float]] = {
    # complaints
    "bad": -1.5, "terrible": -2, "awful": -2, "horrible": -2, "worst": -2, "worse": -1.5,
    "broken": -1.5, "op": -1.5, "overpowered": -1.5, "imbalanced": -1.5, "unbalanced": -1.5,
    "unfair": -1.5, "frustrat*": -1.5, "annoy*": -1.5, "hate": -2, "ridiculous": -1.5,
    "absurd": -1.5, "stupid": -1.5, "unplayable": -2, "unbeatable": -1, "boring": -1,
    "crash*": -1.5, "lag*": -1, "stutter*": -1, "bug": -1, "bugs": -1, "buggy": -1.5,
    "glitch*": -1, "error*": -1, "stuck": -1, "freez*": -1, "froze": -1, "slow": -1,
    "toxic*": -1.5, "flaming": -1.5, "insult*": -1.5, "harass*": -2, "abus*": -1.5,
    "useless": -1.5, "garbage": -2, "trash": -2, "sucks": -1.5, "nerf*": -1,
    "disappoint*": -1.5, "confus*": -1, "cluttered": -1, "lost": -0.5, "losses": -0.5,
    "losing": -0.5, "spam": -0.5, "problem*": -0.5, "issue*": -0.5, "disconnect*": -1,
    "drops": -0.5,
    # praise
    "good": 1.5, "great": 2, "love": 2, "loved": 2, "awesome": 2, "amazing": 2, "fun": 1.5,
    "fair": 1, "balanced": 1, "enjoy*": 1.5, "nice": 1.5, "excellent": 2, "smooth": 1,
    "fixed": 1, "thanks": 1.5, "thank": 1.5, "better": 1, "improved": 1, "best": 1.5,
    "perfect": 2, "happy": 1.5, "cool": 1, "faster": 0.5, "cleaner": 0.5,
}  # fmt: skip

PHRASES_EN: Final[dict[str, float]] = {
    r"too (?:strong|good)": -1.5,
    r"(?:can't|cannot|can not) (?:win|play|log in|do anything)": -1.5,
    r"(?:doesn't|does not|don't) work|not working": -1.5,
    r"takes? forever": -1,
    r"hard to (?:read|see|play|use)": -1,
    r"no fun": -1.5,
    r"(?:i|really) like": 1,
}
"""Regular expressions (matched on lower-cased text) and their weights."""

SENTIMENT_KO: Final[dict[str, float]] = {
    # complaints
    "사기": -2, "밸붕": -2, "최악": -2, "불공평": -2, "짜증": -1.5, "싫": -1.5,
    "재미없": -1.5, "별로": -1, "답답": -1.5, "나쁘": -1.5, "나빠": -1.5, "안좋": -1.5,
    "심하": -1, "심해": -1, "심한": -1, "이상해": -1, "이상한": -1, "이상하": -1,
    "억울": -1.5, "노답": -2, "망했": -2, "망겜": -2, "화나": -1.5, "어이없": -1.5,
    "불편": -1.5, "느려": -1, "느리": -1, "버벅": -1, "끊겨": -1, "끊김": -1, "렉": -1,
    "튕": -1.5, "버그": -1, "오류": -1, "멈춰": -1, "먹통": -1.5, "떨어져": -0.5,
    "욕설": -1.5, "비매너": -1.5, "패드립": -2, "너프": -1, "하향": -0.5, "상향": -0.5,
    "연패": -1, "문제": -0.5,
    # praise
    "좋": 1.5, "재밌": 1.5, "재미있": 1.5, "감사": 2, "고맙": 2, "최고": 2, "만족": 1.5,
    "괜찮": 1, "훌륭": 2, "공정": 1, "개선": 1, "편하": 1, "편해": 1, "즐겁": 1.5,
    "응원": 1, "문제없": 0.5, "빨라": 0.5,
}  # fmt: skip

PHRASES_KO: Final[dict[str, float]] = {
    "말이 안 돼": -2,
    "말이 안 되": -2,
    "할 수 있는 게 없": -1.5,
    "할 게 없": -1.5,
    "이길 수가 없": -1.5,
    "이길 수 없": -1.5,
    "안 돼": -1,
    "안 되": -1,
    "안돼": -1,
    "너무 세": -1,
    "오래 걸": -1,
    "연속 졌": -1,
    "계속 졌": -1,
    "프레임 드랍": -1,
    "재미가 없": -1.5,
    "할 맛 나": 1,
    "할 만": 0.5,
}
"""Plain substrings (matched on the text as written) and their weights."""

NEGATORS_EN: Final = frozenset({
    "not", "no", "never", "isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't",
    "can't", "cannot", "won't", "hardly", "without", "nor",
})  # fmt: skip
"""An English negator flips the sentiment of the next three words of its clause."""

SCOPE_BREAKERS: Final = frozenset({"and", "but", "or", "because", "though", "although", "while"})
"""Words that end a negation's scope early."""

KO_NEGATORS: Final = frozenset({"안", "못"})
"""A Korean negator flips the next word: "안 좋아요"."""

KO_SUFFIX_NEGATION_ENDINGS: Final = ("지", "진", "지는", "지도")
"""A word ending so, followed by a word starting with 않/못, is negated: "좋지 않아요"."""

KO_NEGATED_BY_NEXT: Final = ("않", "못", "없")
"""Starts of the word after that negate it ("좋지 않아요", "버그가 없어요")."""

INTENSIFIERS: Final = frozenset({
    "very", "really", "so", "too", "extremely", "super", "totally", "absolutely", "completely",
    "incredibly", "huge", "너무", "진짜", "정말", "완전", "엄청", "매우", "개",
})  # fmt: skip
"""A word right after an intensifier counts one and a half times."""


# Matchers built from the words above (English with word boundaries, Korean as stems).


def _en_alternatives(words: Iterable[str]) -> str:
    parts = (re.escape(w[:-1]) + r"[a-z']*" if w.endswith("*") else re.escape(w) for w in words)
    return r"(?<![a-z0-9'])(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?![a-z0-9'])"


def _ko_alternatives(stems: Iterable[str]) -> str:
    return "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True))


TOPIC_PATTERNS: Final = {
    topic: re.compile(
        _en_alternatives(TOPIC_WORDS_EN[topic]) + "|" + _ko_alternatives(TOPIC_WORDS_KO[topic])
    )
    for topic in TOPIC_WORDS_EN
}
UNIT_NAME_PATTERN: Final = re.compile(
    _en_alternatives(UNIT_NAMES_EN) + "|" + _ko_alternatives(UNIT_NAMES_KO)
)
PHRASE_PATTERNS: Final = [
    *((re.compile(r"(?<![a-z])(?:" + p + ")"), w) for p, w in PHRASES_EN.items()),
    *((re.compile(re.escape(p)), w) for p, w in PHRASES_KO.items()),
]
EN_EXACT: Final = {w: v for w, v in SENTIMENT_EN.items() if not w.endswith("*")}
EN_PREFIXES: Final = {w[:-1]: v for w, v in SENTIMENT_EN.items() if w.endswith("*")}
EN_PREFIX_PATTERN: Final = re.compile("|".join(sorted(EN_PREFIXES, key=len, reverse=True)))
KO_STEM_PATTERN: Final = re.compile(_ko_alternatives(SENTIMENT_KO))
