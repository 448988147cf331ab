from __future__ import annotations

import time
from pathlib import Path

from classifiers.evaluate import evaluate, load_jsonl, render


def test_dev_set_meets_targets(shared_dir: Path) -> None:
    rows = load_jsonl(shared_dir / "eval" / "topics-dev.jsonl")
    start = time.perf_counter()
    report = evaluate(rows)
    elapsed = time.perf_counter() - start
    assert report.n == len(rows) == 460
    assert report.macro_f1() >= 0.90, render(report, 50)
    assert report.official.f1 >= 0.90, render(report, 50)
    assert elapsed < 10


def test_startup_under_one_second() -> None:
    import subprocess
    import sys

    code = (
        "import time; t=time.perf_counter(); import classifiers; "
        "classifiers.Classifier.default(); print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout.strip()) < 1.0
