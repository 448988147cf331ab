"""A deployment's own labels for ``make train`` (``training.train --site DIR``): the items ``yuqing quality --export``
wrote, joined with the labels a reader gave them by ``training/LABELLING.md``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.train import SITE, load_site


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


ITEM = {"id": "a1", "source_dataset": "site", "title": "江西专升本：考题答案写在厕所蹲坑", "text": "", "meta": {"decision": "dismissed"}}
LABEL = {"id": "a1", "topics": ["education_health_eldercare"], "official_response": False, "issue": True, "note": ""}


def test_labels_are_joined_with_their_items(tmp_path: Path) -> None:
    _write(tmp_path / "batches" / "2021-06.jsonl", [ITEM, {**ITEM, "id": "a2"}])  # a2 not labelled yet: left out
    _write(tmp_path / "labels" / "2021-06.jsonl", [LABEL])
    (row,) = load_site(tmp_path)
    assert row["source_dataset"] == SITE and row["title"] == ITEM["title"]
    assert (row["topics"], row["official_response"], row["issue"]) == (["education_health_eldercare"], False, True)


def test_a_label_without_its_item_or_with_an_unknown_topic_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "batches" / "a.jsonl", [ITEM])
    _write(tmp_path / "labels" / "a.jsonl", [LABEL, {**LABEL, "id": "zz"}])
    with pytest.raises(SystemExit, match="have no item"):
        load_site(tmp_path)
    _write(tmp_path / "labels" / "a.jsonl", [{**LABEL, "topics": ["traffic"]}])
    with pytest.raises(SystemExit, match="unknown topics"):
        load_site(tmp_path)
