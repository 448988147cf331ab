"""Retry policy: temporary failures are retried with backoff and jitter, permanent ones never."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from prefect import flow
from prefect.states import Completed, Failed

from flows import common, ingest
from flows.common import is_retryable, retry_condition
from yuqing.errors import (
    ConfigError,
    DataCheckError,
    DeliveryError,
    Disposition,
    RetrieveError,
    SchemaError,
    StorageError,
)


def _retrieve(disposition: Disposition) -> RetrieveError:
    return RetrieveError("boom", url="http://127.0.0.1/x", outcome="http_error", disposition=disposition)


@pytest.mark.parametrize(
    "exc",
    [
        ConfigError("sources.toml line 3: unknown key 'urll'"),
        SchemaError("schema version 9 is newer than this code"),
        DataCheckError("items.item_id not unique"),
        TypeError("a bug"),
        KeyError("a bug"),
        _retrieve(Disposition.HARD),
        _retrieve(Disposition.SOFT),
        DeliveryError("421 after DATA", accepted=True),
    ],
)
def test_permanent_errors_are_not_retried(exc: BaseException) -> None:
    assert not is_retryable(exc)
    assert not retry_condition(None, None, Failed(data=exc))


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionError("reset"),
        TimeoutError(),
        OSError("disk busy"),
        StorageError("database locked by another process"),
        _retrieve(Disposition.TEMPORARY),
        DeliveryError("connection refused", accepted=False),
    ],
)
def test_temporary_errors_are_retried(exc: BaseException) -> None:
    assert is_retryable(exc)
    assert retry_condition(None, None, Failed(data=exc))


def test_a_state_without_an_exception_may_retry() -> None:
    assert retry_condition(None, None, Completed(data=1))


def test_network_task_backs_off_exponentially_with_jitter() -> None:
    task = ingest.fetch_task
    assert task.retries == common.FETCH_RETRIES >= 2
    assert task.retry_condition_fn is retry_condition
    assert task.retry_jitter_factor == common.RETRY_JITTER > 0
    delays = task.retry_delay_seconds
    assert isinstance(delays, list) and len(delays) == task.retries
    assert all(later == 2 * earlier for earlier, later in itertools.pairwise(delays))
    for other in (ingest.plan_task, ingest.store_task, ingest.finish_task):
        assert other.retry_condition_fn is retry_condition


def test_fetch_task_runs_once_on_a_permanent_error_and_again_on_a_temporary_one(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    failures = {"permanent": ConfigError("bad sources file"), "temporary": ConnectionError("reset")}

    def fake_fetch_group(jobs: list[str], *, as_of: datetime, offload: object = None) -> list[str]:
        calls.append(jobs[0])
        if jobs[0] == "permanent" or len(calls) < 3:
            raise failures[jobs[0]]
        return jobs

    monkeypatch.setattr(ingest.pipeline, "fetch_group", fake_fetch_group)
    fast = ingest.fetch_task.with_options(retry_delay_seconds=0, retry_jitter_factor=0.0)

    @flow
    def run(kind: str) -> object:
        return fast(jobs=[kind], as_of=datetime(2021, 6, 18, tzinfo=UTC), return_state=True)

    assert run("permanent", return_state=True).is_failed()
    assert calls == ["permanent"]

    calls.clear()
    assert run("temporary", return_state=True).is_completed()
    assert calls == ["temporary"] * 3
