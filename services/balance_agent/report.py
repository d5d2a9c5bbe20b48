"""Rendering a balance report as text, in the language of the question."""

from __future__ import annotations

from typing import Any, Final

from balance_agent.logic import Finding, Report

__all__ = ["render"]

_SMALLEST_P: Final = 0.001
_NAMES: Final = {
    "ko": {
        "terran": "테란",
        "zerg": "저그",
        "protoss": "프로토스",
        "TvZ": "테저전 (TvZ)",
        "TvP": "테프전 (TvP)",
        "ZvP": "저프전 (ZvP)",
    },
    "en": {"terran": "Terran", "zerg": "Zerg", "protoss": "Protoss"},
}
_VERDICTS: Final = {
    "ko": {
        "favoured": "유리 (통계적으로 유의, 45–55% 범위 밖)",
        "underdog": "불리 (통계적으로 유의, 45–55% 범위 밖)",
        "leaning-favoured": "다소 유리 (범위 밖이나 유의하지 않음)",
        "leaning-underdog": "다소 불리 (범위 밖이나 유의하지 않음)",
        "balanced": "균형 (45–55% 범위 안)",
    },
    "en": {
        "favoured": "favoured (significant, outside 45–55%)",
        "underdog": "underdog (significant, outside 45–55%)",
        "leaning-favoured": "leaning favoured (outside the band, not significant)",
        "leaning-underdog": "leaning underdog (outside the band, not significant)",
        "balanced": "balanced (within 45–55%)",
    },
}
_TIPS: Final = {
    "ko": {
        "nerf": "{race} 너프 검토: {subject} 승률이 유의하게 55%를 넘습니다.",
        "buff": "{race} 버프 검토: {subject} 승률이 유의하게 45% 아래입니다.",
        "monitor": "{subject} 관찰: 범위를 벗어났지만 아직 유의하지 않습니다. 표본을 더 모으세요.",
        "watch-trend": "{subject} 추세 주의: 이전 패치 대비 변화가 유의합니다.",
        "perception-gap": "인식 격차: {race} 불만이 늘었지만 지표는 균형입니다. "
        "데이터를 공개해 소통하세요.",
        "community-agrees": "커뮤니티 신호 일치: {race} 불만 증가가 지표와 일치합니다. "
        "우선 처리하세요.",
        "no-change": "변경 불필요: 모든 지표가 범위 안에 있습니다.",
    },
    "en": {
        "nerf": "Consider nerfing {race}: {subject} is significantly above 55%.",
        "buff": "Consider buffing {race}: {subject} is significantly below 45%.",
        "monitor": "Monitor {subject}: outside the band but not yet significant; "
        "collect more games.",
        "watch-trend": "Watch the {subject} trend: the change from the previous patch "
        "is significant.",
        "perception-gap": "Perception gap: {race} complaints rose while the numbers are balanced; "
        "share the data with players.",
        "community-agrees": "Community agrees: rising {race} complaints match the numbers; "
        "prioritise it.",
        "no-change": "No change needed: every number is within the band.",
    },
}
_TEXT: Final = {
    "ko": {
        "title": "# 밸런스 보고서 — {focus} (패치 {patch})",
        "question": "질문: {q}",
        "verdicts": "## 판정 (데이터 에이전트)",
        "community": "## 커뮤니티 신호 (CS 에이전트)",
        "recs": "## 권고",
        "missing": "## 누락된 부분",
        "all": "전체",
        "finding": "- {subject}: {rate} (n={n:,}, 95% CI {lo}–{hi}) — {verdict}{trend}",
        "trend": "; {prev} 대비 {delta:+.1f}%p (p{p})",
        "complaints": "- {race} 관련 불만 {count}건 (종족 불만의 {share}){change}",
        "change": ", 이전 패치 대비 {change:+.0%}",
        "topics": "- 주요 주제: {topics}",
        "sentiment": "- 감성 평균 {mean:+.2f}, 부정 비율 {neg}",
        "no_data": "- 데이터 없음",
    },
    "en": {
        "title": "# Balance report — {focus} (patch {patch})",
        "question": "Question: {q}",
        "verdicts": "## Verdicts (data agent)",
        "community": "## Community signal (cs agent)",
        "recs": "## Recommendations",
        "missing": "## Missing parts",
        "all": "all races",
        "finding": "- {subject}: {rate} (n={n:,}, 95% CI {lo}–{hi}) — {verdict}{trend}",
        "trend": "; {delta:+.1f} pp vs {prev} (p{p})",
        "complaints": "- {race} complaints: {count} ({share} of race complaints){change}",
        "change": ", {change:+.0%} vs previous patch",
        "topics": "- Top topics: {topics}",
        "sentiment": "- Sentiment mean {mean:+.2f}, negative share {neg}",
        "no_data": "- no data",
    },
}


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _finding(f: Finding, report: Report, lang: str) -> str:
    t = _TEXT[lang]
    subject = _NAMES[lang].get(f.subject, f.subject)
    trend = ""
    if f.delta_pp is not None and report.compare_patch:
        p = "<0.001" if (f.p_value or 0) < _SMALLEST_P else f"={f.p_value:.3f}"
        trend = t["trend"].format(delta=f.delta_pp, prev=report.compare_patch, p=p)
    return t["finding"].format(
        subject=subject,
        rate=_pct(f.win_rate),
        n=f.games,
        lo=_pct(f.ci95[0]),
        hi=_pct(f.ci95[1]),
        verdict=_VERDICTS[lang][f.verdict],
        trend=trend,
    )


def _community(cs: dict[str, Any], report: Report, lang: str) -> list[str]:
    t = _TEXT[lang]
    lines = []
    races = cs.get("complaints_by_race") or {}
    focus = [report.scope.race] if report.scope.race else list(races)
    for race in focus:
        row = races.get(race or "")
        if not row:
            continue
        change = row.get("change")
        lines.append(
            t["complaints"].format(
                race=_NAMES[lang].get(race or "", race),
                count=int(row.get("count", 0)),
                share=_pct(float(row.get("share", 0.0))),
                change=t["change"].format(change=float(change)) if change is not None else "",
            )
        )
    topics = ", ".join(
        f"{x.get('topic')} {_pct(float(x.get('share', 0)))}"
        for x in (cs.get("top_topics") or [])[:3]
    )
    if topics:
        lines.append(t["topics"].format(topics=topics))
    sentiment = cs.get("sentiment") or {}
    if "mean" in sentiment:
        lines.append(
            t["sentiment"].format(
                mean=float(sentiment["mean"]), neg=_pct(float(sentiment.get("negative_share", 0)))
            )
        )
    return lines or [t["no_data"]]


def render(report: Report, missing_reasons: dict[str, str] | None = None) -> str:
    """The report as Markdown-like text in the question's language."""
    lang = report.scope.language
    t = _TEXT[lang]
    focus = _NAMES[lang].get(report.scope.race or "", report.scope.matchup or t["all"])
    lines = [
        t["title"].format(focus=focus, patch=report.patch or "?"),
        t["question"].format(q=report.scope.question),
        "",
        t["verdicts"],
    ]
    lines += [_finding(f, report, lang) for f in report.findings] or [t["no_data"]]
    lines += ["", t["community"]]
    lines += _community(report.community, report, lang) if report.community else [t["no_data"]]
    lines += ["", t["recs"]]
    for tip in report.recommendations:
        kind, race, subject = [*tip.split(":"), "", ""][:3]
        lines.append(
            "- "
            + _TIPS[lang][kind].format(
                race=_NAMES[lang].get(race, race), subject=_NAMES[lang].get(subject, subject)
            )
        )
    reasons = missing_reasons if missing_reasons is not None else report.missing
    if reasons:
        lines += ["", t["missing"]]
        lines += [f"- {agent}: {why}" for agent, why in reasons.items()]
    return "\n".join(lines)
