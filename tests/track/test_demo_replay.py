"""The labelled replay of the demo week (tests/track/demo_replay.py), measured against the labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from .demo_replay import measure, replay


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo_replay") / "replay.duckdb"
    replay(db)
    return db


def test_events_are_incidents_and_no_incident_is_split(replayed: Path) -> None:
    figures = measure(replayed)
    report = figures.render()
    assert figures.events >= 5, report
    assert figures.event_precision >= 0.9, report
    assert figures.split == {}, report
    assert figures.pair_precision >= 0.9, report


def test_overdue_flags_are_right(replayed: Path) -> None:
    figures = measure(replayed)
    assert figures.flags >= 3 and figures.flag_precision >= 0.9, figures.render()
