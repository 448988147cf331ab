"""Two ingest runs on the same database at the same time neither corrupt nor duplicate anything.

This is what happens when a scheduled run overlaps a manual ``yuqing ingest``, or a run on a second worker
starts before the first ends: separate processes, one DuckDB file.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import INGEST_AS_OF
from flows_support import item_counts, tool

from classifiers import Classifier
from warehouse import checks
from warehouse.db import Warehouse


def _ingest(db: Path, sources: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [tool("yuqing"), "--db", str(db), "ingest", "--sources", str(sources), "--as-of", INGEST_AS_OF],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip


def test_two_overlapping_ingests_equal_one_clean_run(tmp_path: Path, flow_sources: Path) -> None:
    clean = tmp_path / "clean.duckdb"
    single = _ingest(clean, flow_sources)
    assert single.wait(timeout=240) == 0, single.communicate()[1]
    clean_counts = item_counts(clean)

    shared = tmp_path / "shared.duckdb"
    first, second = _ingest(shared, flow_sources), _ingest(shared, flow_sources)
    for proc in (first, second):
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err

    assert item_counts(shared) == clean_counts
    assert clean_counts[0] == clean_counts[1] > 0
    with Warehouse.open(shared) as wh:
        assert checks.run_checks(wh, topic_slugs=Classifier.default().topic_slugs) == []
