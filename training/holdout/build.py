"""Join the held-out items with their labels into ``holdout.jsonl``, the development set's format, for
``make eval-holdout`` (``python -m classifiers.evaluate training/holdout/holdout.jsonl``)."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIELDS = ("id", "source_dataset", "title", "text", "topics", "official_response", "issue", "note")


def main() -> None:
    labels: dict[str, dict] = {}
    for path in sorted((HERE / "labels").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                labels[row["id"]] = row
    rows = []
    missing = []
    for path in sorted((HERE / "batches").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            label = labels.get(item["id"])
            if label is None:
                missing.append(item["id"])
                continue
            merged = {**item, **label}
            rows.append({k: merged.get(k, "") for k in FIELDS})
    if missing:
        raise SystemExit(f"{len(missing)} held-out items have no label yet: {', '.join(missing[:5])} …")
    with open(HERE / "holdout.jsonl", "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} labelled held-out items -> {HERE / 'holdout.jsonl'}")


if __name__ == "__main__":
    main()
