"""Urgent alerts in two steps, so that a channel that is down never holds the warehouse:

1. ``raise_alerts`` (inside a track run, in its warehouse session): the conditions that hold as of the run's
   ``as_of`` (``conditions.py``) go into the ledger as ``pending``, once per (event, milestone, condition,
   route, channel);
2. ``deliver_alerts`` (after the track run has let go of the warehouse): the due alerts of each (route,
   channel) are claimed in one short transaction, sent as one message with nothing open, and the outcome
   recorded in another short transaction.

At most once: a claimed alert is never claimed again, so re-runs, retries and concurrent runs cannot send it
twice; a run that dies between claim and outcome leaves it ``sending``, which the next delivery marks
``in_doubt`` (the channel may have it) instead of sending again. A failed attempt is tried again by the first
delivery as of ``next_try_at`` (backoff ``RETRY_BACKOFF`` doubling up to ``RETRY_BACKOFF_MAX``), up to
``MAX_ATTEMPTS``. Rate limit: a (route, channel) that was sent something less than ``alert_interval_minutes``
before ``as_of`` gets nothing now; its alerts wait and go out together in the first run after the window.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from warehouse import alerts as sql
from yuqing.alerts.channels import ChannelError, SendContext, send
from yuqing.alerts.conditions import DUE_SOON, NEW_MAJOR, OVERDUE, raise_all
from yuqing.alerts.config import Channel
from yuqing.alerts.render import render
from yuqing.digest.routes import Route
from yuqing.errors import ConfigError
from yuqing.timeutil import fmt_local, to_utc, utcnow

log = logging.getLogger("yuqing.alerts")

MAX_ATTEMPTS = 8
RETRY_BACKOFF = timedelta(minutes=2)
RETRY_BACKOFF_MAX = timedelta(minutes=30)
CLAIM_STALE_AFTER = timedelta(minutes=15)  # a claim this old (wall clock) belongs to a run that died
CANDIDATE_WINDOW = timedelta(days=8)  # milestones further back cannot meet any condition (max age ≤ 7 days)
_URGENCY = {NEW_MAJOR: 0, OVERDUE: 1, DUE_SOON: 2}


def alerting(routes: Sequence[Route]) -> list[Route]:
    return [r for r in routes if r.alerts is not None]


def raise_alerts(wh: Any, as_of: datetime, routes: Sequence[Route]) -> int:
    """Record the alerts that hold as of ``as_of``; returns how many are new in the ledger."""
    routes = alerting(routes)
    if not routes:
        return 0
    as_of = to_utc(as_of)
    rows = sql.candidates(wh.con, as_of, as_of - CANDIDATE_WINDOW)
    raised = raise_all(rows, routes, as_of, lambda ids: sql.event_links(wh.con, ids, as_of))
    if not raised:
        return 0
    with wh.transaction():
        return sql.insert_raised(wh.con, raised)


@dataclass
class DeliveryReport:
    as_of: datetime
    sent: list[tuple[str, str, int]] = field(default_factory=list)  # (route, channel, alerts)
    failed: list[tuple[str, str, int, str]] = field(default_factory=list)  # (route, channel, alerts, error)
    deferred: int = 0  # waiting for a rate-limit window
    expired: int = 0
    in_doubt: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        if not (self.sent or self.failed or self.deferred or self.expired or self.in_doubt):
            return "alerts: nothing to send"
        parts = [f"{n} alert(s) to {route}/{channel}" for route, channel, n in self.sent]
        line = "alerts: sent " + (", ".join(parts) if parts else "nothing")
        if self.failed:
            line += "; FAILED " + "; ".join(f"{r}/{c} ({n}): {err}" for r, c, n, err in self.failed)
        if self.deferred:
            line += f"; {self.deferred} waiting for the rate-limit window"
        if self.expired:
            line += f"; {self.expired} expired (condition no longer holds)"
        if self.in_doubt:
            line += f"; {self.in_doubt} in doubt (a run died while sending; not re-sent)"
        return line


def _still_holds(row: sql.DueRow, as_of: datetime) -> str | None:
    """Why an unsent alert no longer makes sense as of ``as_of`` (None: send it)."""
    if row.dismissed:
        return "the event was dismissed by an analyst before it could be sent"
    if row.merged_into is not None:  # the event it merged into raises its own alerts
        return f"the event merged into {row.merged_into} before it could be sent"
    condition = row.key[2]
    met = row.met_at is not None and row.met_at <= as_of
    if condition == DUE_SOON and (met or (row.deadline_at is not None and row.deadline_at <= as_of)):
        return "met before it could be sent" if met else "the deadline passed before it could be sent"
    if condition == OVERDUE and met:
        return "met before it could be sent"
    return None


def _message_key(route: str, channel: str, keys: Sequence[sql.Key], as_of: datetime) -> str:
    h = hashlib.sha256(f"{route}\0{channel}\0{as_of.isoformat()}".encode())
    for key in keys:
        h.update("\0".join(key).encode("utf-8"))
    return h.hexdigest()[:24]


def deliver_alerts(
    open_warehouse: Callable[[], Any],
    as_of: datetime,
    routes: Sequence[Route],
    ctx: SendContext,
    *,
    now: Callable[[], datetime] = utcnow,
) -> DeliveryReport:
    """Send the alerts due as of ``as_of``. ``open_warehouse()`` opens the warehouse (a context manager);
    it is held only for the claim and for recording the outcomes, never while sending."""
    as_of = to_utc(as_of)
    report = DeliveryReport(as_of=as_of)
    by_name = {r.name: r for r in alerting(routes)}
    if not by_name:
        return report
    plans: list[tuple[Route, Channel, str, list[sql.Key], list[dict[str, Any]]]] = []
    with open_warehouse() as wh, wh.transaction():
        report.in_doubt = sql.sweep_in_doubt(wh.con, now() - CLAIM_STALE_AFTER)
        due = sql.due(wh.con, as_of)
        stale = [(row.key, why) for row in due if (why := _still_holds(row, as_of)) is not None]
        sql.expire(wh.con, stale)
        report.expired = len(stale)
        gone = {key for key, _ in stale}
        last = sql.last_sent(wh.con)
        groups: dict[tuple[str, str], list[sql.DueRow]] = {}
        for row in due:
            if row.key not in gone:
                groups.setdefault((row.key[3], row.key[4]), []).append(row)
        for (route_name, channel_name), rows in groups.items():
            route = by_name.get(route_name)
            channel = (
                next((c for c in route.alerts.channels if c.name == channel_name), None)
                if route and route.alerts
                else None
            )
            if route is None or route.alerts is None or channel is None:
                continue  # the route or channel left the routes file: its alerts wait, visible in the ledger
            previous = last.get((route_name, channel_name))
            window = timedelta(minutes=route.alerts.interval_minutes)
            if previous is not None and window and as_of - previous < window:
                report.deferred += len(rows)
                continue
            rows.sort(key=lambda r: (_URGENCY.get(r.key[2], 3), r.deadline_at or as_of, r.key))
            keys = [r.key for r in rows]
            message_key = _message_key(route_name, channel_name, keys, as_of)
            claimed = set(sql.claim(wh.con, keys, message_key, now()))
            if claimed:
                plans.append(
                        (route, channel, message_key, [r.key for r in rows if r.key in claimed],
                         [r.content for r in rows if r.key in claimed])
                    )  # fmt: skip
    outcomes: list[tuple[Route, Channel, str, list[sql.Key], str | None]] = []
    for route, channel, message_key, keys, contents in plans:
        message = render(contents, route_label=route.label or route.name)
        error: str | None = None
        try:
            send(channel, message, recipients=route.recipients, message_key=message_key, ctx=ctx)
        except ChannelError as e:
            error = str(e)[:500]
        outcomes.append((route, channel, message_key, keys, error))
        if error is None:
            report.sent.append((route.name, channel.name, len(keys)))
            log.info(
                "alert %s/%s: sent %d alert(s) as of %s",
                route.name,
                channel.name,
                len(keys),
                fmt_local(as_of),
            )
        else:
            report.failed.append((route.name, channel.name, len(keys), error))
            log.warning("alert %s/%s: %d alert(s) not sent: %s", route.name, channel.name, len(keys), error)
    if outcomes:
        with open_warehouse() as wh, wh.transaction():
            for route, channel, message_key, keys, error in outcomes:
                attempts = sql.attempts_of(wh.con, keys)
                backoff = min(RETRY_BACKOFF * (2 ** max(attempts, 0)), RETRY_BACKOFF_MAX)
                sql.record(
                    wh.con,
                    keys,
                    message_key=message_key,
                    route=route.name,
                    channel=channel.name,
                    ok=error is None,
                    error=error,
                    as_of=as_of,
                    now=now(),
                    next_try_at=None if error is None else as_of + backoff,
                    max_attempts=MAX_ATTEMPTS,
                )
    return report


def test_route(
    open_warehouse: Callable[[], Any],
    route: Route,
    ctx: SendContext,
    *,
    as_of: datetime,
    now: Callable[[], datetime] = utcnow,
) -> list[tuple[str, str | None]]:
    """Send a test message on every channel of ``route``: (channel, error or None). Each attempt goes into
    ``alert_attempts`` (0 alerts); the ``alerts`` ledger is not touched."""
    if route.alerts is None:
        raise ConfigError(f"route {route.name!r} has no alert_channels")
    content = test_content(route, as_of)
    message = render([content], route_label=route.label or route.name)
    results: list[tuple[str, str | None]] = []
    for channel in route.alerts.channels:
        key = "test-" + _message_key(route.name, channel.name, [], now())
        try:
            send(channel, message, recipients=route.recipients, message_key=key, ctx=ctx)
            error = None
        except ChannelError as e:
            error = str(e)[:500]
        results.append((channel.name, error))
        with open_warehouse() as wh, wh.transaction():
            sql.record(
                wh.con, [], message_key=key, route=route.name, channel=channel.name, ok=error is None, error=error,
                as_of=as_of, now=now(), next_try_at=None, max_attempts=MAX_ATTEMPTS,
            )  # fmt: skip
    return results


def test_content(route: Route, as_of: datetime) -> dict[str, Any]:
    """A message that says it is a test, shaped like a real alert."""
    title = f"测试消息：yuqing 紧急提醒通道「{route.label or route.name}」配置检查，无需处理"
    return {
        "event_id": "test", "condition": "test", "condition_label": "测试", "milestone": "event", "milestone_label": "",
        "heading": "测试", "title": title, "region": "—", "region_code": None, "severity": "general",
        "severity_label": "测试", "topics": [], "started_at": fmt_local(as_of), "clock_basis": "测试",
        "deadline_at": fmt_local(as_of), "deadline_iso": as_of.isoformat(), "state": "这是一条测试消息，不对应任何事件",
        "rule": "—", "items": [], "met_by": None, "as_of": fmt_local(as_of), "summary": f"[测试] {title}",
    }  # fmt: skip


def ledger_text(wh: Any, limit: int = 50) -> str:
    rows = sql.ledger(wh.con, limit=limit)
    if not rows:
        return "no alerts in the ledger"
    lines = [
        f"{'raised (Asia/Shanghai)':<22} {'route/channel':<28} {'condition':<10} {'state':<9} tries  summary"
    ]
    for raised, route, channel, condition, _milestone, state, attempts, error, summary in rows:
        line = f"{fmt_local(raised):<22} {route + '/' + channel:<28} {condition:<10} {state:<9} {attempts:>5}  {summary}"
        if error and state != "sent":
            line += f"  [{error}]"
        lines.append(line)
    return "\n".join(lines)
