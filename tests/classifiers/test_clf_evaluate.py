from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers.evaluate import evaluate, issue_fpr, load_jsonl, main, render


def test_dev_set_meets_targets(shared_dir: Path) -> None:
    """The development set (never trained on): topic macro-F1, official_response and issue F1, and the
    issue false-positive rate outside the message boards (docs/design.md "Classification")."""
    rows = load_jsonl(shared_dir / "eval" / "topics-dev.jsonl")
    report = evaluate(rows)
    assert report.n == len(rows) == 460
    assert report.macro_f1() >= 0.85, render(report, 50)
    # every topic finds most of its items (9 or fewer items for three topics: one item moves recall 11-20 points)
    assert min(m.recall for m in report.topics.values()) >= 0.6, render(report, 50)
    assert report.official.f1 >= 0.95, render(report, 50)
    assert report.issue.f1 >= 0.85, render(report, 50)
    assert issue_fpr(report) <= 0.03, render(report, 50)



def test_several_files_are_scored_as_one_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m classifiers.evaluate a.jsonl b.jsonl`` pools the files (``make eval-holdout``'s last figures)."""
    rows = [
        {"id": "a1", "title": "某化工厂发生爆炸，致3人死亡", "text": "", "topics": ["work_safety"],
         "official_response": False, "issue": True, "source_dataset": "t"},
        {"id": "b1", "title": "小区门口垃圾站臭气熏天", "text": "", "topics": ["environment"],
         "official_response": False, "issue": True, "source_dataset": "t"},
    ]
    paths = []
    for k, row in enumerate(rows):
        path = tmp_path / f"{k}.jsonl"
        path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(str(path))
    assert main([*paths, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 2
    assert summary["topics"]["work_safety"]["support"] == 1
    assert summary["topics"]["environment"]["support"] == 1
