"""Ticket text templates, per language and per kind of ticket (generator-only data).

A template is a ``str.format`` pattern. Slots: ``{race}`` the race the ticket is
about, ``{enemy}`` another race, ``{unit}``/``{unit2}`` two units of ``{race}``,
``{map}``, ``{bracket}`` and a higher ``{bracket2}``, numbers ``{n}`` (2-9) and
``{mins}`` (3-15). Korean slots come with their particle already attached, chosen
by the word's final consonant: ``{race_eun}`` (은/는), ``{unit_i}`` (이/가),
``{unit_eul}`` (을/를), ``{enemy_ro}`` (으로/로), ``{unit2_rang}`` (이랑/랑) and so on.

The kinds are what the generator meant to write; the analysis never sees them, it
reads topics and sentiment from the text alone.
"""

from __future__ import annotations

from typing import Final

__all__ = ["GENERAL_KINDS", "PREFIXES", "RACE_KINDS", "SUFFIXES", "TEMPLATES"]

RACE_KINDS: Final = ("balance-complaint", "race-bug", "balance-praise", "race-question")
"""Kinds of ticket about one race (the ticket's ``race`` is set)."""

GENERAL_KINDS: Final = ("matchmaking", "bugs", "maps", "performance", "toxicity", "ui", "praise")
"""Kinds of general ticket (``race`` is None)."""

_KO: Final[dict[str, tuple[str, ...]]] = {
    "balance-complaint": (
        "{unit_i} 너무 사기예요. 너프 좀 해주세요",
        "{race} 밸런스 진짜 최악입니다. {unit} 상대로 할 수 있는 게 없어요",
        "{enemy_ro} 하는데 {race} {unit} 때문에 {n}판 연속 졌어요. 이건 밸붕이에요",
        "{bracket}인데 {race_eun} {unit2_rang} {unit} 조합 하나로 다 이겨요. 불공평해요",
        "{unit} 데미지 말이 안 돼요. 밸런스 팀은 뭐 하나요?",
        "요즘 {race} 너무 세서 래더 하기 싫어요. 밸런스 좀 맞춰 주세요",
        "{race} 상향 받은 뒤로 게임이 재미없어요. {unit} 하향 부탁드립니다",
        "{unit_eun} 왜 이렇게 강한가요? 너무 사기라 짜증나요",
        "{race} {unit} 개사기 ㅋㅋ 이게 정상인가요",
        "{race} 유저인데도 {unit_eun} 좀 심하다고 생각합니다. 너프가 필요해요",
    ),
    "balance-praise": (
        "이번 패치 {race} 밸런스 좋아졌네요. 감사합니다",
        "{unit} 조정 나쁘지 않네요. {race} 하기 재밌어요",
        "{race} 요즘 할 만해요. 밸런스 괜찮은 것 같아요",
    ),
    "race-question": (
        "{enemy} 상대로 {race} {unit} 어떻게 막나요?",
        "{race} 빌드 추천해 주실 수 있나요? {unit} 위주로 하고 싶어요",
        "{race} {unit} 사거리 수치가 정확히 얼마인가요?",
    ),
    "race-bug": (
        "{unit_i} 가끔 명령을 안 들어요. 버그 같습니다",
        "{unit} 길찾기 버그 있어요. 제자리에서 멈춰요",
        "{race} {unit} 스킬 쓰면 게임이 튕겨요",
    ),
    "matchmaking": (
        "매칭이 너무 오래 걸려요. {mins}분 넘게 기다렸어요",
        "{bracket}인데 {bracket2_rang} 매칭돼요. 매칭 시스템 이상해요",
        "MMR 계산이 이상한 것 같아요. {n}연패 중인데 계속 고수만 만나요",
        "매칭 대기열에서 자꾸 튕겨요",
        "매칭 속도가 빨라져서 좋아요",
        "래더 매칭 기준이 궁금합니다",
    ),
    "bugs": (
        "리플레이 저장하면 게임이 튕겨요. 빨리 고쳐 주세요",
        "패치 후 오류 메시지가 뜨면서 접속이 안 돼요",
        "관전 모드에서 버그가 있어요. 화면이 멈춰요",
        "{map}에서 유닛이 지형에 끼는 버그가 있어요",
    ),
    "maps": (
        "{map_eun} 러시 거리가 너무 짧아서 별로예요. 맵풀에서 빼 주세요",
        "{map} 맵은 {enemy}한테 너무 유리해요. 불공평합니다",
        "이번 시즌 맵풀 좋네요. {map} 특히 재밌어요",
        "{map} 맵 구조가 답답해요",
    ),
    "performance": (
        "한타 때 렉이 너무 심해요",
        "패치 후 프레임 드랍이 심해요. {n}0프레임까지 떨어져요",
        "게임 중에 자꾸 끊겨요. 핑은 정상인데 버벅거려요",
        "로딩이 너무 느려요",
    ),
    "toxicity": (
        "상대가 채팅으로 욕설을 계속 해요. 신고 처리 좀 해주세요",
        "{bracket}에서 비매너 유저가 너무 많아요",
        "게임 지고 나서 패드립 들었어요. 제재해 주세요",
    ),
    "ui": (
        "새 UI 너무 불편해요. 예전 메뉴가 나았어요",
        "단축키 설정이 자꾸 초기화돼서 짜증나요",
        "인터페이스 글씨가 너무 작아서 불편해요",
        "UI 개선된 거 좋네요",
    ),
    "praise": (
        "게임 정말 재밌게 하고 있어요. 개발팀 감사합니다",
        "요즘 게임 할 맛 나요. 최고예요",
        "패치 노트 잘 봤습니다. 앞으로도 응원할게요",
    ),
}

_EN: Final[dict[str, tuple[str, ...]]] = {
    "balance-complaint": (
        "{unit} is way too strong right now. Please nerf it",
        "{race} is so overpowered in this patch, I can't win a single game as {enemy}",
        "Lost {n} games in a row to {unit} spam. This is not balanced at all",
        "{race} {unit} plus {unit2} is broken and unfair",
        "{unit} OP. Every {bracket} game is the same boring build",
        "Honestly {race} feels unbeatable in {bracket}. Frustrating",
        "Why does {unit} still do that much damage? It's ridiculous",
        "Balance team, please look at {race}. {unit} is absurd",
        "I play {race} and even I think {unit} is too strong. Tone it down",
        "{race} players just a-move with {unit} and win. Terrible balance",
    ),
    "balance-praise": (
        "{race} feels great this patch, thanks for the changes",
        "The {unit} change is not bad at all, {race} is fun again",
        "Good job on {race} balance, games feel fair now",
    ),
    "race-question": (
        "How do I deal with {unit} as {enemy}?",
        "Which {race} build do pros use against {enemy} on {map}?",
        "Does {unit} get bonus damage against armored units?",
    ),
    "race-bug": (
        "{unit} sometimes ignores move commands, looks like a bug",
        "{unit} pathing is buggy around ramps",
        "Game crashes when my {unit} uses its ability",
    ),
    "matchmaking": (
        "Matchmaking takes forever, waited {mins} minutes for a game",
        "I'm {bracket} and keep getting matched against {bracket2} players. Unfair",
        "MMR system is broken, {n} losses in a row against much higher players",
        "Queue times are terrible at night",
        "Matchmaking feels much faster now, nice work",
        "How does the ladder decide my opponents?",
    ),
    "bugs": (
        "The game crashes every time I open a replay",
        "Got an error after the patch and can't log in",
        "Observer mode is buggy, the camera gets stuck",
        "Units get stuck on the terrain on {map}, please fix this bug",
    ),
    "maps": (
        "{map} is awful, the rush distance is way too short",
        "Please remove {map} from the map pool, it is so annoying to play",
        "Love the new map pool, {map} is really fun",
        "{map} favors {enemy} too much, unfair map",
    ),
    "performance": (
        "Huge lag spikes in big fights",
        "FPS drops to {n}0 after the patch, unplayable",
        "The game stutters constantly even on a high-end PC",
        "Loading screens are so slow now",
    ),
    "toxicity": (
        "Opponent was toxic in chat the whole game, please ban",
        "So much flaming and insults in {bracket}, report does nothing",
        "Got harassed after a win, the chat needs better filters",
    ),
    "ui": (
        "The new UI is confusing and the menus are cluttered",
        "My hotkey settings keep resetting, annoying",
        "Font in the interface is too small, hard to read",
        "Really like the cleaner interface, great update",
    ),
    "praise": (
        "Love this game, thanks to the dev team",
        "Great patch overall, having a lot of fun",
        "Keep up the good work, the game is in a great place",
    ),
}

TEMPLATES: Final = {"ko": _KO, "en": _EN}

PREFIXES: Final = {
    "ko": ("", "", "", "진짜 ", "솔직히 ", "안녕하세요. ", "운영자님, "),
    "en": ("", "", "", "Hi. ", "Hello team. ", "Feedback: "),
}
SUFFIXES: Final = {
    "ko": ("", "", "", " ㅠㅠ", " 제발요", "!!", " 확인 부탁드립니다"),
    "en": ("", "", "", "!", " Please look into it.", " Anyone else?"),
}
"""English suffixes that start a sentence get a full stop before them when needed."""
