"""The pure decisions of sending a route's digest: what an earlier run's ledger row settles, and which Message-ID."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from warehouse.digests import LedgerRow
from yuqing.digest.send import Outcome, _earlier_outcome, _is_stale, _message_id_for

DAY = date(2021, 6, 18)
T = datetime(2021, 6, 18, 0, 0, tzinfo=UTC)


def row(state: str, *, attempts: int = 1, content_hash: str | None = "h1", error: str | None = None) -> LedgerRow:
    return LedgerRow(
        digest_date=DAY,
        route="all",
        state=state,
        attempts=attempts,
        message_id="<m1@example.gov.cn>",
        content_hash=content_hash,
        recipients_count=2,
        subject="【舆情回应提醒】",
        as_of=T,
        created_at=T,
        sent_at=None,
        error=error,
    )


def test_a_sent_digest_is_not_sent_again_unless_forced() -> None:
    done = _earlier_outcome(row("sent", attempts=2), "all", DAY, force=False)
    assert done is not None and done.outcome is Outcome.ALREADY_SENT and done.attempts == 2 and done.error is None
    assert _earlier_outcome(row("sent"), "all", DAY, force=True) is None


def test_a_digest_left_sending_is_in_doubt_and_says_why() -> None:
    doubt = _earlier_outcome(row("sending"), "all", DAY, force=False)
    assert doubt is not None and doubt.outcome is Outcome.IN_DOUBT
    assert doubt.error == "left in state 'sending' by an earlier run"
    named = _earlier_outcome(row("sending", error="connection lost after DATA"), "all", DAY, force=False)
    assert named is not None and named.error == "connection lost after DATA"


def test_nothing_earlier_or_a_failure_means_this_run_sends() -> None:
    assert _earlier_outcome(None, "all", DAY, force=False) is None
    assert _earlier_outcome(row("failed"), "all", DAY, force=False) is None


def test_sending_without_its_journal_marker_is_stale(tmp_path: Path) -> None:
    marker = tmp_path / "2021-06-18-all.sending"
    assert _is_stale(row("sending"), marker)
    marker.touch()
    assert not _is_stale(row("sending"), marker)  # the body may have gone out: in doubt, not stale
    assert not _is_stale(row("sending"), None)  # no journal kept: cannot tell
    assert not _is_stale(row("failed"), tmp_path / "absent")


def test_message_ids_same_content_resend_keeps_it_a_resend_of_a_sent_one_does_not() -> None:
    kept = _message_id_for(row("sending", content_hash="h1"), "h1", day=DAY, route="all", domain="example.gov.cn")
    assert kept == "<m1@example.gov.cn>"
    first = _message_id_for(None, "h1", day=DAY, route="all", domain="example.gov.cn")
    changed = _message_id_for(row("sending", content_hash="h0"), "h1", day=DAY, route="all", domain="example.gov.cn")
    assert first == changed != kept
    again = _message_id_for(row("sent", attempts=1), "h1", day=DAY, route="all", domain="example.gov.cn")
    assert again != first
