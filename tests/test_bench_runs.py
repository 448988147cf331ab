"""The warehouse benchmark still runs against the warehouse as it is (its synthetic staging follows the store's
schema), and its two digest reads agree. Its figures are not judged here: benchmarks print, tests do not time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_warehouse_quick_runs_and_its_digest_reads_agree(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/bench_warehouse.py", "--quick", "--db", str(tmp_path / "bench.duckdb")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "collect == collect_full, route all: same digest" in done.stdout
    assert "collect == collect_full, wage_arrears + 44: same digest" in done.stdout
