"""An alert message in each channel's form: plain text and HTML (e-mail), chat-robot markdown, JSON.

The texts in an alert's content are already plain single-line text (``conditions.describe``). Each form
escapes them for itself: HTML with ``html.escape``; markdown by replacing every character a robot's
markdown could read as markup with its full-width twin (``*`` -> ``＊``, ``[`` -> ``［`` …), which reads the same
in Chinese text and cannot start a link, an emphasis or a heading. Links are written only from URLs that
were checked to be absolute http(s) (``safety.safe_url``), with the characters that could end a markdown
link percent-encoded.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_ALERTS_SHOWN = 10  # in one combined message; the rest are counted
WECOM_MAX_BYTES = 4000  # 企业微信 group robots take markdown content up to 4096 bytes

_MD_TWINS = str.maketrans(
    {
        "*": "＊", "_": "＿", "[": "［", "]": "］", "(": "（", ")": "）", "#": "＃", "`": "｀", ">": "＞",
        "<": "＜", "|": "｜", "~": "～", "\\": "＼", "!": "！", "&": "＆",
    }
)  # fmt: skip


def md(text: str) -> str:
    """Feed text made inert in a robot's markdown."""
    return text.translate(_MD_TWINS)


def _md_url(url: str) -> str:
    return (
        url.replace("(", "%28")
        .replace(")", "%29")
        .replace(" ", "%20")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    text: str
    html: str
    markdown: str
    payload: dict[str, Any]


def subject_of(contents: Sequence[dict[str, Any]]) -> str:
    first = contents[0]
    head = f"【yuqing 紧急】{first['heading']} · {first['title'][:40]}"
    if len(contents) > 1:
        head += f" 等 {len(contents)} 条"
    return head


def render(contents: Sequence[dict[str, Any]], *, route_label: str) -> Message:
    """One message carrying ``contents`` (alerts of one route and channel, most urgent first)."""
    shown = list(contents[:MAX_ALERTS_SHOWN])
    more = len(contents) - len(shown)
    subject = subject_of(contents)
    return Message(
        subject=subject,
        text=_text(shown, more, route_label),
        html=_html(shown, more, route_label, subject),
        markdown=_markdown(shown, more, route_label),
        payload={
            "source": "yuqing",
            "kind": "alerts",
            "route": route_label,
            "count": len(contents),
            "alerts": [_public(c) for c in contents],
        },
    )


def _public(c: dict[str, Any]) -> dict[str, Any]:
    keys = ("event_id", "condition", "milestone", "title", "region", "region_code", "severity", "topics",
            "started_at", "clock_basis", "deadline_at", "deadline_iso", "state", "rule", "items", "met_by", "as_of")  # fmt: skip
    return {k: c.get(k) for k in keys}


def _text(shown: Sequence[dict[str, Any]], more: int, route_label: str) -> str:
    lines = [f"yuqing 紧急提醒 · {route_label}", ""]
    for n, c in enumerate(shown, 1):
        lines += [
            f"{n}. 【{c['heading']}】{c['title']}",
            f"   地点：{c['region']} · 级别：{c['severity_label']}",
            f"   时钟起点：{c['started_at']}（北京时间；依据：{c['clock_basis']}）",
            f"   {c['state']}",
            f"   依据：{c['rule']}",
        ]
        if c.get("met_by"):
            lines.append(f"   回应：{c['met_by']['title']} {c['met_by'].get('url') or ''}".rstrip())
        for item in c["items"]:
            lines.append(f"   报道：{item['source']}《{item['title']}》 {item.get('url') or ''}".rstrip())
        lines.append(f"   事件：yuqing event {c['event_id']}")
        lines.append("")
    if more:
        lines.append(f"另有 {more} 条提醒未列出（yuqing alerts 查看）。")
    lines.append(f"时间均为北京时间。生成于 {shown[0]['as_of'] if shown else ''}。")
    return "\n".join(lines) + "\n"


def _html(shown: Sequence[dict[str, Any]], more: int, route_label: str, subject: str) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>", e(subject), "</title></head>",
        "<body style='font-family:sans-serif;font-size:14px;color:#222'>",
        f"<p><b>yuqing 紧急提醒</b> · {e(route_label)}</p>",
    ]  # fmt: skip
    for c in shown:
        parts.append("<div style='border-left:4px solid #c00;padding:4px 10px;margin:10px 0'>")
        parts.append(f"<p style='margin:2px 0'><b>【{e(c['heading'])}】{e(c['title'])}</b></p>")
        parts.append(f"<p style='margin:2px 0'>地点：{e(c['region'])} · 级别：{e(c['severity_label'])}</p>")
        parts.append(
            f"<p style='margin:2px 0'>时钟起点：{e(c['started_at'])}（北京时间；依据：{e(c['clock_basis'])}）</p>"
        )
        parts.append(f"<p style='margin:2px 0'><b>{e(c['state'])}</b></p>")
        parts.append(f"<p style='margin:2px 0'>依据：{e(c['rule'])}</p>")
        links = list(c["items"]) + ([c["met_by"] | {"source": "回应"}] if c.get("met_by") else [])
        for item in links:
            label = f"{e(item['source'])}《{e(item['title'])}》"
            url = item.get("url")
            parts.append(
                f"<p style='margin:2px 0'><a href='{e(url, quote=True)}'>{label}</a></p>"
                if url
                else f"<p style='margin:2px 0'>{label}</p>"
            )
        parts.append(f"<p style='margin:2px 0;color:#666'>yuqing event {e(c['event_id'])}</p></div>")
    if more:
        parts.append(f"<p>另有 {more} 条提醒未列出（yuqing alerts 查看）。</p>")
    parts.append("<p style='color:#666'>时间均为北京时间。</p></body></html>")
    return "".join(parts)


def _markdown(shown: Sequence[dict[str, Any]], more: int, route_label: str) -> str:
    out = [f"**yuqing 紧急提醒** · {md(route_label)}"]
    for c in shown:
        block = [
            "",
            f"**【{md(c['heading'])}】{md(c['title'])}**",
            f"> 地点：{md(c['region'])} · 级别：{md(c['severity_label'])}",
            f"> 时钟起点：{md(c['started_at'])}（依据：{md(c['clock_basis'])}）",
            f"> **{md(c['state'])}**",
            f"> 依据：{md(c['rule'])}",
        ]
        links = list(c["items"]) + ([c["met_by"] | {"source": "回应"}] if c.get("met_by") else [])
        for item in links:
            label = f"{md(item['source'])}《{md(item['title'])}》"
            url = item.get("url")
            block.append(f"> [{label}]({_md_url(url)})" if url else f"> {label}")
        block.append(f"> 事件 {md(c['event_id'])}")
        candidate = "\n".join([*out, *block])
        if len(candidate.encode("utf-8")) > WECOM_MAX_BYTES - 200:
            more += 1
            continue
        out += block
    if more:
        out += ["", f"另有 {more} 条提醒未列出（yuqing alerts 查看）"]
    out += ["", "时间均为北京时间"]
    return "\n".join(out)
