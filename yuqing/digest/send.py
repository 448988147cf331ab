"""``send_digests``: one digest per route and day, recorded in the ``digests`` ledger, at most once.

Per route, as of T (its Asia/Shanghai date D):

1. the ledger row (D, route) decides: ``sent`` -> nothing to do (unless ``force``); ``sending`` -> a
   previous run died mid-send, the server may have the message: reported ``in_doubt``, not re-sent
   (unless ``force``); ``failed`` or none -> go on;
2. collect and render; a route with nothing to report is skipped unless ``send_empty``;
3. the row is committed as ``sending`` with a deterministic Message-ID BEFORE any SMTP traffic;
4. SMTP: a failure before the server accepted the message is retried with exponential backoff
   (each attempt counted in the row); success -> ``sent``; permanent failure or retries exhausted ->
   ``failed`` (the next run tries again); a failure after the body was sent -> stays ``sending``.

Delivery is therefore at-most-once per (day, route): a crash can lose a digest (reported as
``in_doubt``) but never mail officials twice. docs/digest.md explains the choice.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

import tenacity

from warehouse import digests as sql
from yuqing.digest.collect import collect, digest_date
from yuqing.digest.message import build_message, content_hash, message_id, parse_sender
from yuqing.digest.model import DigestData
from yuqing.digest.render import RenderedDigest, render
from yuqing.digest.routes import Route
from yuqing.digest.smtp import SmtpDeliveryError, SmtpSettings, deliver
from yuqing.errors import ConfigError, DeliveryError, YuqingError
from yuqing.settings import Settings
from yuqing.timeutil import to_utc, utcnow

log = logging.getLogger("yuqing.digest")

PREVIEW_SENDER = "yuqing@localhost.invalid"  # From: of a preview written without YUQING_MAIL_FROM


class Outcome(enum.StrEnum):
    SENT = "sent"  # accepted by the server now
    ALREADY_SENT = "already_sent"  # today's digest for the route was sent by an earlier run
    IN_DOUBT = "in_doubt"  # a run died (or the connection dropped) after the body was sent: not re-sent
    EMPTY = "empty"  # nothing to report and send_empty is false
    FAILED = "failed"  # not accepted; recorded, the next run tries again
    WRITTEN = "written"  # preview files written (out_dir / write_digest); nothing sent


@dataclass(frozen=True, slots=True)
class DigestResult:
    route: str
    digest_date: date
    outcome: Outcome
    subject: str | None = None
    overdue: int = 0
    due_soon: int = 0
    new_events: int = 0
    responses: int = 0
    attempts: int = 0
    message_id: str | None = None
    recipients_count: int = 0
    error: str | None = None
    paths: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome not in (Outcome.FAILED, Outcome.IN_DOUBT)

    def summary(self) -> str:
        line = f"{self.digest_date} {self.route}: {self.outcome.value}"
        if self.subject:
            line += f" — 逾期 {self.overdue} · 到期 {self.due_soon} · 新事件 {self.new_events} · 回应 {self.responses}"
        if self.outcome is Outcome.SENT:
            line += f" ({self.recipients_count} recipients, {self.attempts} attempt(s))"
        if self.paths:
            line += " -> " + ", ".join(str(p) for p in self.paths)
        if self.error:
            line += f" [{self.error}]"
        return line


def _with_data(result: DigestResult, data: DigestData, rendered: RenderedDigest) -> DigestResult:
    omitted = dict(data.omitted)
    return DigestResult(
        route=result.route,
        digest_date=result.digest_date,
        outcome=result.outcome,
        subject=rendered.subject,
        overdue=len(data.overdue) + omitted.get("overdue", 0),
        due_soon=len(data.due_soon) + omitted.get("due_soon", 0),
        new_events=data.new_count + omitted.get("new", 0),
        responses=sum(len(r.responses) for r in data.responses) + omitted.get("responses", 0),
        attempts=result.attempts,
        message_id=result.message_id,
        recipients_count=result.recipients_count,
        error=result.error,
        paths=result.paths,
    )


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _preview_paths(out_path: Path) -> tuple[Path, Path]:
    """(eml, html) for ``--out FILE``: FILE.html/.htm gets the preview beside an .eml, else FILE is the .eml."""
    if out_path.suffix.lower() in (".html", ".htm"):
        return out_path.with_suffix(".eml"), out_path
    return out_path, out_path.with_suffix(".html")


def _write_files(rendered: RenderedDigest, eml: bytes, out_path: Path) -> tuple[Path, ...]:
    eml_path, html_path = _preview_paths(out_path)
    _write_atomic(eml_path, eml)
    _write_atomic(html_path, rendered.html.encode("utf-8"))
    return (eml_path, html_path)


Session = Callable[[], AbstractContextManager[sql.WarehouseLike]]


def send_digests(
    wh: sql.WarehouseLike | Session,
    as_of: datetime,
    routes: Sequence[Route],
    smtp_settings: SmtpSettings | None,
    *,
    force: bool = False,
    out_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = utcnow,
    journal: Path | None = None,
) -> list[DigestResult]:
    """Send (or with ``out_dir``, write ``<date>-<route>.eml`` and ``.html``) each route's digest as of ``as_of``.

    ``wh``: an open warehouse, or a function that opens one (a context manager): then the warehouse is held only
    while the ledger is read or written, never while the SMTP server is talked to or between retries, so an SMTP
    outage holds up no other writer. ``journal``: a directory where a file marks the moment a message's body starts
    to go out; a row left ``sending`` without one was never accepted by any server, so it is sent again rather than
    reported ``in_doubt``. ``smtp_settings`` may be None only with ``out_dir``. A failing route does not stop the
    others; look at each result's ``outcome`` (``DigestResult.ok``). ``sleep`` and ``now`` are for tests.
    """
    session: Session = wh if callable(wh) else (lambda: contextlib.nullcontext(wh))
    as_of = to_utc(as_of)
    if out_dir is None and smtp_settings is None:
        raise ConfigError("send_digests: SMTP settings are required unless out_dir is given")
    names = [r.name for r in routes]
    if len(set(names)) != len(names):
        raise ConfigError(f"send_digests: route names must be unique, got {names}")
    results = []
    for route in routes:
        try:
            if out_dir is None:
                assert smtp_settings is not None
                result = _send_route(
                    session, as_of, route, smtp_settings, force=force, sleep=sleep, now=now, journal=journal
                )
            else:
                with session() as opened:
                    result = _write_route(opened, as_of, route, out_dir, smtp_settings)
        except (YuqingError, ValueError, UnicodeError) as e:
            # One route's bad data (an address, a header) fails that route; the others still go out.
            result = DigestResult(
                route=route.name, digest_date=digest_date(as_of), outcome=Outcome.FAILED, error=str(e)
            )
        log.info("digest %s", result.summary())
        results.append(result)
    return results


def _write_route(
    wh: sql.WarehouseLike, as_of: datetime, route: Route, out_dir: Path, smtp_settings: SmtpSettings | None
) -> DigestResult:
    sender = smtp_settings.sender if smtp_settings else None
    return _write_preview(
        wh, as_of, route, sender, lambda day: out_dir / f"{day.isoformat()}-{route.name}.eml"
    )


def _write_preview(
    wh: sql.WarehouseLike,
    as_of: datetime,
    route: Route,
    sender: str | None,
    eml_path: Callable[[date], Path],
) -> DigestResult:
    """Collect, render and write one route's digest as .eml + .html, without sending or touching the ledger."""
    day = digest_date(as_of)
    data = collect(wh, as_of, route)
    rendered = render(data)
    from_addr = parse_sender(sender or Settings.of().MAIL_FROM or PREVIEW_SENDER)
    msg = build_message(
        rendered,
        from_addr,
        route.recipients,
        msg_id=message_id(
            digest_date=day.isoformat(),
            route=route.name,
            content=content_hash(rendered),
            domain=from_addr.domain,
        ),
        date=as_of,
    )
    paths = _write_files(rendered, msg.as_bytes(), eml_path(day))
    result = DigestResult(
        route=route.name,
        digest_date=day,
        outcome=Outcome.WRITTEN,
        recipients_count=len(route.recipients),
        message_id=str(msg["Message-ID"]),
        paths=paths,
    )
    return _with_data(result, data, rendered)


def _journal_file(journal: Path | None, day: date, route: str) -> Path | None:
    return None if journal is None else journal / f"{day.isoformat()}-{route}.sending"


def _is_stale(previous: sql.LedgerRow | None, marker: Path | None) -> bool:
    """Left 'sending' by a run that stopped before the body went out (its journal marker was never written):
    no server has it, so it is not in doubt."""
    return previous is not None and previous.state == "sending" and marker is not None and not marker.exists()


def _earlier_outcome(
    previous: sql.LedgerRow | None, route: str, day: date, force: bool
) -> DigestResult | None:
    """What an earlier run's ledger row settles without sending: already sent, or in doubt (the server may have
    accepted it); None when this run sends."""
    if previous is None or force:
        return None
    if previous.state == "sent":
        outcome, error = Outcome.ALREADY_SENT, None
    elif previous.state == "sending":
        outcome, error = Outcome.IN_DOUBT, previous.error or "left in state 'sending' by an earlier run"
    else:
        return None
    return DigestResult(
        route=route,
        digest_date=day,
        outcome=outcome,
        subject=previous.subject,
        attempts=previous.attempts,
        message_id=previous.message_id,
        recipients_count=previous.recipients_count,
        error=error,
    )


def _message_id_for(previous: sql.LedgerRow | None, chash: str, *, day: date, route: str, domain: str) -> str:
    """The Message-ID of this send. A forced re-send of an in-doubt digest with the same content keeps its id, so a
    client that already has the first copy shows one message; a forced re-send of a digest already sent gets a new
    one, or clients would drop it."""
    if (
        previous is not None
        and previous.state == "sending"
        and previous.content_hash == chash
        and previous.message_id
    ):
        return previous.message_id
    generation = previous.attempts if previous is not None and previous.state == "sent" else 0
    return message_id(
        digest_date=day.isoformat(), route=route, content=chash, domain=domain, generation=generation
    )


def _refused_note(refused: Mapping[str, str]) -> str | None:
    if not refused:
        return None
    return f"{len(refused)} recipient(s) refused: " + "; ".join(sorted(set(refused.values())))[:300]


def _send_route(
    session: Session,
    as_of: datetime,
    route: Route,
    settings: SmtpSettings,
    *,
    force: bool,
    sleep: Callable[[float], None],
    now: Callable[[], datetime],
    journal: Path | None = None,
) -> DigestResult:
    day = digest_date(as_of)
    if not route.recipients:
        raise ConfigError(f"route {route.name!r} has no recipients")
    marker = _journal_file(journal, day, route.name)
    with session() as wh:
        previous = sql.get_digest(wh.con, day, route.name)
        if _is_stale(previous, marker):
            log.warning(
                "digest %s %s: an earlier run stopped before sending it; sending it now", day, route.name
            )
            with wh.transaction():
                sql.mark_failed(
                    wh.con, day, route.name, error="an earlier run stopped before the message was sent"
                )
            previous = sql.get_digest(wh.con, day, route.name)
        earlier = _earlier_outcome(previous, route.name, day, force)
        if earlier is not None:
            if earlier.outcome is Outcome.IN_DOUBT:
                log.warning(
                    "digest %s %s: a previous run left it 'sending' (crashed or lost the connection after "
                    "sending); the server may have accepted it, so it is not re-sent. Check the mailbox and "
                    "re-run with force to send it again.",
                    day,
                    route.name,
                )
            return earlier

        data = collect(wh, as_of, route)
        rendered = render(data)
        if data.is_empty and not route.send_empty:
            return _with_data(
                DigestResult(route=route.name, digest_date=day, outcome=Outcome.EMPTY), data, rendered
            )

        sender = parse_sender(settings.sender)
        chash = content_hash(rendered)
        mid = _message_id_for(previous, chash, day=day, route=route.name, domain=sender.domain)
        msg = build_message(rendered, sender, route.recipients, msg_id=mid, date=as_of)
        with wh.transaction():
            sql.claim(
                wh.con,
                digest_date=day,
                route=route.name,
                message_id=mid,
                content_hash=chash,
                recipients_count=len(route.recipients),
                subject=rendered.subject,
                as_of=as_of,
                now=now(),
            )

    base = previous.attempts if previous is not None else 0
    outcome, attempts, note = _deliver(
        session, msg, sender.addr_spec, route, settings, day, marker, sleep, now
    )
    result = DigestResult(
        route=route.name,
        digest_date=day,
        outcome=outcome,
        attempts=base + attempts,
        message_id=mid,
        recipients_count=len(route.recipients),
        error=note,
    )
    return _with_data(result, data, rendered)


def _deliver(
    session: Session,
    msg: EmailMessage,
    from_addr: str,
    route: Route,
    settings: SmtpSettings,
    day: date,
    marker: Path | None,
    sleep: Callable[[float], None],
    now: Callable[[], datetime],
) -> tuple[Outcome, int, str | None]:
    """Deliver a claimed digest, recording each attempt in the ledger: (outcome, attempts made, error or note).

    A failure before the server accepted the message is retried with exponential backoff, sleeping with the
    warehouse closed: ingest and track go on meanwhile. The journal marker exists while a body may be on the wire.
    """

    def body_starts() -> None:
        if marker is not None:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()

    def retrying_in(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        log.warning(
            "digest %s %s: attempt %d of %d failed (%s); retrying in %.1f s",
            day,
            route.name,
            state.attempt_number,
            settings.max_attempts,
            error,
            state.next_action.sleep if state.next_action is not None else 0.0,
        )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(
            lambda e: isinstance(e, SmtpDeliveryError) and e.temporary and not e.accepted
        ),
        stop=tenacity.stop_after_attempt(settings.max_attempts),
        wait=lambda state: settings.backoff(state.attempt_number),
        sleep=sleep,
        before_sleep=retrying_in,
        reraise=True,
    )
    attempts = 0
    try:
        for attempt in retrying:
            with attempt:
                attempts = attempt.retry_state.attempt_number
                try:
                    refused = deliver(msg, from_addr, route.recipients, settings, before_body=body_starts)
                except SmtpDeliveryError as e:
                    last = not e.temporary or attempts >= settings.max_attempts
                    with session() as wh, wh.transaction():
                        sql.record_attempt(wh.con, day, route.name, error=str(e))
                        if e.accepted:
                            sql.note_in_doubt(wh.con, day, route.name, error=str(e))
                        elif last:
                            sql.mark_failed(wh.con, day, route.name, error=str(e))
                    if marker is not None and not e.accepted:
                        marker.unlink(missing_ok=True)
                    raise
    except SmtpDeliveryError as e:
        return (Outcome.IN_DOUBT if e.accepted else Outcome.FAILED), attempts, str(e)
    note = _refused_note(refused)
    with session() as wh, wh.transaction():
        sql.record_attempt(wh.con, day, route.name, error=note)
        sql.mark_sent(wh.con, day, route.name, sent_at=now(), error=note)
    if marker is not None:
        marker.unlink(missing_ok=True)
    return Outcome.SENT, attempts, note


def write_digest(
    wh: sql.WarehouseLike,
    as_of: datetime,
    out_path: Path,
    *,
    route: Route | None = None,
    sender: str | None = None,
) -> DigestResult:
    """Write the digest as of ``as_of`` to ``out_path`` (.eml) and a sibling .html preview; send nothing.

    ``route`` defaults to every event (``Route.catch_all()``); the ledger is read (for "since") but not
    written, so a preview never blocks or counts as the day's digest.
    """
    as_of = to_utc(as_of)
    return _write_preview(wh, as_of, route or Route.catch_all(), sender, lambda _day: out_path)


def raise_for_failures(results: Sequence[DigestResult]) -> None:
    """For callers that must fail loudly (flows): DeliveryError if any route failed or is in doubt.

    ``accepted`` is set when a route is in doubt, so the flow's retry policy does not re-run it.
    """
    bad = [r for r in results if not r.ok]
    if bad:
        raise DeliveryError(
            "digest not delivered: " + "; ".join(r.summary() for r in bad),
            accepted=any(r.outcome is Outcome.IN_DOUBT for r in bad),
        )
