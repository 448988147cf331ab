"""Per-source fetch decisions: pure functions of (source, state, outcome, ``as_of``).

No I/O and no clock: ``as_of`` is always passed in, so a replay or a test decides exactly as the run
did. The fetcher (:mod:`sources.http`) executes the plan; the warehouse stores the resulting state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sources.http import FetchRequest, Retrieved
from yuqing.errors import Disposition, ParseError, RetrieveError
from yuqing.models import FetchOutcome, SourceConfig, SourceState


@dataclass(frozen=True, slots=True)
class PolicySettings:
    # Some servers answer 304 forever while the feed changes (a stale ETag); an unconditional
    # fetch this often catches that.
    full_fetch_every: timedelta = timedelta(hours=24)
    # First delay after a failure, doubled per consecutive failure up to the cap of its kind.
    temporary_base: timedelta = timedelta(minutes=5)
    soft_base: timedelta = timedelta(hours=1)
    hard_base: timedelta = timedelta(hours=6)
    temporary_cap: timedelta = timedelta(hours=6)
    soft_cap: timedelta = timedelta(days=1)
    hard_cap: timedelta = timedelta(days=7)
    # A Retry-After beyond this is read as this (a typo or a hostile server must not park a source).
    retry_after_cap: timedelta = timedelta(hours=6)


DEFAULT_POLICY = PolicySettings()


def should_fetch(state: SourceState | None, *, as_of: datetime) -> bool:
    """False while the source is backing off (the run records SKIPPED_BACKOFF instead)."""
    return state is None or state.backoff_until is None or state.backoff_until <= as_of


def needs_full_fetch(
    state: SourceState | None, *, as_of: datetime, policy: PolicySettings = DEFAULT_POLICY
) -> bool:
    if state is None or state.last_full_fetch_at is None:
        return True
    return as_of - state.last_full_fetch_at >= policy.full_fetch_every


def conditional_headers(
    state: SourceState | None, *, as_of: datetime, policy: PolicySettings = DEFAULT_POLICY
) -> dict[str, str]:
    """If-None-Match / If-Modified-Since to send, or none when a full fetch is due (RFC 9110 13.1)."""
    if state is None or needs_full_fetch(state, as_of=as_of, policy=policy):
        return {}
    headers: dict[str, str] = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def plan_fetch(
    source: SourceConfig,
    state: SourceState | None,
    *,
    as_of: datetime,
    policy: PolicySettings = DEFAULT_POLICY,
) -> FetchRequest | None:
    """The request to make for ``source`` in a run at ``as_of``; None when it is backing off."""
    if not should_fetch(state, as_of=as_of):
        return None
    headers = conditional_headers(state, as_of=as_of, policy=policy)
    return FetchRequest(
        url=source.url,
        etag=headers.get("If-None-Match"),
        last_modified=headers.get("If-Modified-Since"),
        key=source.name,
    )


def backoff_delay(
    disposition: Disposition,
    failures: int,
    *,
    retry_after: float | None = None,
    policy: PolicySettings = DEFAULT_POLICY,
) -> timedelta:
    """Delay before the next attempt after ``failures`` consecutive failures (>= 1).

    Exponential by kind, capped; a server's Retry-After (itself capped) is a floor, never shortened.
    """
    base, cap = {
        Disposition.TEMPORARY: (policy.temporary_base, policy.temporary_cap),
        Disposition.SOFT: (policy.soft_base, policy.soft_cap),
        Disposition.HARD: (policy.hard_base, policy.hard_cap),
    }[disposition]
    exponent = max(0, min(failures - 1, 30))  # 2**30 bases is past every cap; avoids overflow
    delay = min(base * (2**exponent), cap)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), policy.retry_after_cap))
    return delay


MAX_VALIDATOR = 1024


def _validator(value: str | None) -> str | None:
    """A validator we can send back: RFC 9110 validators are visible ASCII. Anything else (a server
    putting Chinese text or control characters in its ETag) is dropped, so the next request stays valid."""
    if value is None or len(value) > MAX_VALIDATOR or not value.isascii() or not value.isprintable():
        return None
    return value


def state_after_success(
    state: SourceState, retrieved: Retrieved, *, outcome: FetchOutcome, as_of: datetime
) -> SourceState:
    """Reset failures and backoff; keep the validators of a 200 (a 304 keeps the old ones)."""
    if retrieved.not_modified:
        return replace(
            state,
            consecutive_failures=0,
            backoff_until=None,
            last_status=str(outcome),
            last_error=None,
        )
    return replace(
        state,
        etag=_validator(retrieved.headers.get("etag")),
        last_modified=_validator(retrieved.headers.get("last-modified")),
        last_full_fetch_at=as_of,  # any 200 delivered the whole feed
        consecutive_failures=0,
        backoff_until=None,
        last_status=str(outcome),
        last_error=None,
    )


def state_after_error(
    state: SourceState,
    error: RetrieveError | ParseError,
    *,
    as_of: datetime,
    policy: PolicySettings = DEFAULT_POLICY,
) -> SourceState:
    """Count the failure and back off according to its disposition (a parse error is SOFT)."""
    if isinstance(error, RetrieveError):
        disposition, outcome, retry_after = error.disposition, str(error.outcome), error.retry_after
    else:
        disposition, outcome, retry_after = Disposition.SOFT, str(FetchOutcome.PARSE_ERROR), None
    failures = state.consecutive_failures + 1
    delay = backoff_delay(disposition, failures, retry_after=retry_after, policy=policy)
    return replace(
        state,
        consecutive_failures=failures,
        backoff_until=as_of + delay,
        last_status=outcome,
        last_error=str(error)[:500],
    )
