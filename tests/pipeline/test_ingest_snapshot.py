"""The analyst snapshot after ingest: published when analysts would see something new, else kept."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from tests.pipeline.conftest import AS_OF
from warehouse.db import snapshot_path_for
from yuqing import pipeline
from yuqing.errors import ConfigError


def _mtime(path: Path) -> int:
    return os.stat(path).st_mtime_ns


def test_snapshot_is_kept_when_nothing_new_and_published_when_asked(
    tmp_path: Path, sources_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("YUQING_SNAPSHOT_MAX_AGE", raising=False)
    db = tmp_path / "y.duckdb"
    first = pipeline.ingest(db, sources_file, as_of=AS_OF, group_size=7)
    assert first.new > 0 and first.snapshot_published
    assert first.snapshot == snapshot_path_for(db) and first.snapshot.exists()
    assert first.snapshot_published_at is not None
    published = _mtime(first.snapshot)

    # Every feed answers 304: nothing new for analysts, the snapshot is young: kept as it is.
    again = pipeline.ingest(db, sources_file, as_of=AS_OF + timedelta(minutes=15))
    assert again.new == 0 and not again.snapshot_published
    assert again.snapshot == first.snapshot and _mtime(first.snapshot) == published
    assert again.snapshot_published_at == first.snapshot_published_at
    assert "kept: nothing new" in again.summary()

    # Asked explicitly (a flow's last run of the day, an operator), it is published anyway.
    plan = pipeline.plan_ingest(db, sources_file, as_of=AS_OF + timedelta(minutes=30))
    forced = pipeline.finish_ingest(db, plan, [], publish=True)
    assert forced.snapshot_published and _mtime(first.snapshot) != published
    published = _mtime(first.snapshot)
    never = pipeline.finish_ingest(db, plan, [], publish=False)
    assert not never.snapshot_published and _mtime(first.snapshot) == published

    # Older than the configured age: published again even though nothing changed.
    monkeypatch.setenv("YUQING_SNAPSHOT_MAX_AGE", "0")
    stale = pipeline.ingest(db, sources_file, as_of=AS_OF + timedelta(minutes=45))
    assert stale.new == 0 and stale.snapshot_published and _mtime(first.snapshot) != published


def test_snapshot_is_published_when_there_is_none(tmp_path: Path, sources_file: Path) -> None:
    db = tmp_path / "y.duckdb"
    pipeline.ingest(db, sources_file, as_of=AS_OF)
    snapshot_path_for(db).unlink()
    again = pipeline.ingest(db, sources_file, as_of=AS_OF + timedelta(minutes=15))
    assert again.new == 0 and again.snapshot_published and snapshot_path_for(db).exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", timedelta(minutes=60)), ("90", timedelta(minutes=90)), ("30s", timedelta(seconds=30)),
     ("2h", timedelta(hours=2)), ("0", timedelta(0))],
)
def test_snapshot_max_age_from_env(monkeypatch: pytest.MonkeyPatch, raw: str, expected: timedelta) -> None:
    monkeypatch.setenv("YUQING_SNAPSHOT_MAX_AGE", raw)
    assert pipeline.snapshot_max_age() == expected


def test_snapshot_max_age_refuses_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_SNAPSHOT_MAX_AGE", "soon")
    with pytest.raises(ConfigError):
        pipeline.snapshot_max_age()
