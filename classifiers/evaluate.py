"""Score the classifiers on a labelled JSON-lines file (``shared/eval/topics-dev.jsonl`` format).

    python -m classifiers.evaluate ../shared/eval/topics-dev.jsonl [--errors N] [--json]

Only ``id``, ``title`` and ``text`` are given to the classifier (the shape ``yuqing tag`` reads);
``topics``, ``official_response`` and ``source_dataset`` are the gold labels and the stratum.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.engine import Classifier

DEFAULT_TOPICS = (
    "epidemic",
    "housing_finance",
    "wage_arrears",
    "environment",
    "food_drug_safety",
    "education_health_eldercare",
    "work_safety",
    "hardship_livelihood",
)


@dataclass(slots=True)
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: bool, pred: bool) -> None:
        if gold and pred:
            self.tp += 1
        elif pred:
            self.fp += 1
        elif gold:
            self.fn += 1

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class Report:
    n: int = 0
    topics: dict[str, PRF] = field(default_factory=dict)
    official: PRF = field(default_factory=PRF)
    strata: dict[str, tuple[PRF, PRF]] = field(default_factory=dict)  # (micro topics, official)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def macro_f1(self, slugs: tuple[str, ...] = DEFAULT_TOPICS) -> float:
        return sum(self.topics[s].f1 for s in slugs) / len(slugs)


def evaluate(rows: list[dict[str, Any]], classifier: Classifier | None = None) -> Report:
    clf = classifier or Classifier.default()
    report = Report()
    slugs = tuple(dict.fromkeys([*DEFAULT_TOPICS, *clf.topic_slugs]))
    report.topics = {s: PRF() for s in slugs}
    for row in rows:
        tags = clf.classify(row.get("title", ""), row.get("text", ""))
        report.n += 1
        gold = set(row.get("topics", []))
        pred = {t.slug for t in tags.topics}
        stratum = str(row.get("source_dataset", "?"))
        st_topics, st_off = report.strata.setdefault(stratum, (PRF(), PRF()))
        for s in slugs:
            report.topics[s].add(s in gold, s in pred)
            st_topics.add(s in gold, s in pred)
        g_off, p_off = bool(row.get("official_response")), tags.official_response
        report.official.add(g_off, p_off)
        st_off.add(g_off, p_off)
        if gold != pred or g_off != p_off:
            report.errors.append(
                {
                    "id": row.get("id"),
                    "stratum": stratum,
                    "title": row.get("title", "")[:60],
                    "text": row.get("text", "")[:60],
                    "missing": sorted(gold - pred),
                    "extra": sorted(pred - gold),
                    "official": None if g_off == p_off else ("FN" if g_off else "FP"),
                    "evidence": {t.slug: [*list(t.terms), t.rule, str(t.score)] for t in tags.topics},
                    "response_evidence": list(tags.response_evidence),
                    "note": row.get("note", ""),
                }
            )
    return report


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def render(report: Report, max_errors: int) -> str:
    lines = [
        f"items: {report.n}",
        "",
        f"{'topic':28} {'P':>6} {'R':>6} {'F1':>6} {'support':>8} {'tp':>4} {'fp':>4} {'fn':>4}",
    ]
    for slug, m in report.topics.items():
        lines.append(
            f"{slug:28} {m.precision:6.3f} {m.recall:6.3f} {m.f1:6.3f} {m.support:8d} {m.tp:4d} {m.fp:4d} {m.fn:4d}"
        )
    lines.append(f"{'macro-F1 (8 topics)':28} {'':6} {'':6} {report.macro_f1():6.3f}")
    o = report.official
    lines += [
        "",
        f"{'official_response':28} {o.precision:6.3f} {o.recall:6.3f} {o.f1:6.3f} {o.support:8d} {o.tp:4d} {o.fp:4d} {o.fn:4d}",
        "",
        "per stratum (topic micro P/R/F1 | official P/R/F1):",
    ]
    for stratum, (t, off) in sorted(report.strata.items()):
        lines.append(
            f"  {stratum:34} topics {t.precision:5.3f} {t.recall:5.3f} {t.f1:5.3f} (n+={t.support:3d})"
            f" | official {off.precision:5.3f} {off.recall:5.3f} {off.f1:5.3f} (n+={off.support:3d})"
        )
    lines += ["", f"confusions ({len(report.errors)} items; first {max_errors}):"]
    for e in report.errors[:max_errors]:
        parts = []
        if e["missing"]:
            parts.append("FN " + ",".join(e["missing"]))
        if e["extra"]:
            parts.append("FP " + ",".join(e["extra"]))
        if e["official"]:
            parts.append(f"official {e['official']}")
        lines.append(f"  {e['id']} [{'; '.join(parts)}] {e['title']} | {e['text'][:40]}")
        if e["evidence"]:
            lines.append(f"      evidence: {json.dumps(e['evidence'], ensure_ascii=False)}")
        if e["response_evidence"]:
            lines.append(f"      response: {'; '.join(e['response_evidence'])}")
        if e["note"]:
            lines.append(f"      note: {e['note'][:100]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", type=Path)
    ap.add_argument("--errors", type=int, default=200, help="confusions to print (default 200)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args(argv)
    report = evaluate(load_jsonl(args.path))
    if args.json:
        summary = {
            "n": report.n,
            "macro_f1": report.macro_f1(),
            "official_f1": report.official.f1,
            "topics": {
                s: {"p": m.precision, "r": m.recall, "f1": m.f1, "support": m.support}
                for s, m in report.topics.items()
            },
        }
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(render(report, args.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
