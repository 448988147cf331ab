"""The training draws' bookkeeping (``training/sample.py``): which items count as taken when a round is drawn again."""

from __future__ import annotations

import json
from pathlib import Path

from training.sample import JOINS_CHECKS, every_drawn


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_every_drawn_reads_items_and_passes_over_cases_and_later_sets(tmp_path: Path) -> None:
    _write(tmp_path / "batches" / "board_b_01.jsonl", [{"id": "p1", "title": "…"}])
    _write(tmp_path / "labels" / "board_b_01.jsonl", [{"id": "p1", "incident": "a"}, {"id": "p2", "incident": "a"}])
    # a blind check of grouping joins: cases of several messages (no id of their own), and their incident labels
    _write(tmp_path / "batches" / "texts_01.jsonl", [{"case": "m01", "groups": [[{"id": "p3"}]]}])
    _write(tmp_path / "labels" / "texts_01.jsonl", [{"case": "m01", "id": "p3", "incident": "b"}])
    _write(tmp_path / "unused" / "batch_41.jsonl", [{"id": "p4"}])

    assert every_drawn(tmp_path) == {"p1", "p2", "p3", "p4"}
    # a round drawn before the joins' checks were read draws again what it drew then
    assert every_drawn(tmp_path, skip=JOINS_CHECKS) == {"p1", "p2", "p4"}
    assert every_drawn(tmp_path, but=tmp_path / "unused", skip=JOINS_CHECKS) == {"p1", "p2"}
