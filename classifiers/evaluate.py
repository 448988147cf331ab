"""Score the classifiers on a labelled JSON-lines file (``shared/eval/topics-dev.jsonl`` format).

    python -m classifiers.evaluate ../shared/eval/topics-dev.jsonl [--errors N] [--json]

Several files are scored as one set (``make eval-holdout`` ends with its held-out sets pooled: their thin topics'
handfuls add up to figures worth quoting).

Only ``id``, ``title`` and ``text`` are given to the classifier (the shape ``yuqing tag`` reads), with what a row says
of its source where it does (``SourceMeta``: ``"source_official": true`` for a release from an official source);
``topics``, ``official_response`` and ``source_dataset`` are the gold labels and the stratum.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.engine import Classifier, SourceMeta
from classifiers.lexicon import priority_topics

DEFAULT_TOPICS = priority_topics()  # the eight priority topics, in the work plans' order (their files' `order`)


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
    issue: PRF = field(default_factory=PRF)
    # issue false positives among items that are not citizen messages (the feed and media strata,
    # where false events come from): (false positives, negatives)
    issue_fp_not_messages: tuple[int, int] = (0, 0)
    strata: dict[str, tuple[PRF, PRF, PRF]] = field(default_factory=dict)  # (micro topics, official, issue)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def macro_f1(self, slugs: tuple[str, ...] = DEFAULT_TOPICS) -> float:
        return sum(self.topics[s].f1 for s in slugs) / len(slugs)


def evaluate(rows: list[dict[str, Any]], classifier: Classifier | None = None) -> Report:
    clf = classifier or Classifier.default()
    report = Report()
    slugs = tuple(dict.fromkeys([*DEFAULT_TOPICS, *clf.topic_slugs]))
    report.topics = {s: PRF() for s in slugs}
    # A row may say what is known of its source (``SourceMeta``: an official source's items are official releases)
    meta = SourceMeta.__annotations__.keys()
    all_tags = clf.classify_many(
        {"title": r.get("title", ""), "text": r.get("text", ""), **{k: r[k] for k in meta if k in r}} for r in rows
    )
    for row, tags in zip(rows, all_tags, strict=True):
        report.n += 1
        gold = set(row.get("topics", []))
        pred = {t.slug for t in tags.topics}
        stratum = str(row.get("source_dataset", "?"))
        st_topics, st_off, st_issue = report.strata.setdefault(stratum, (PRF(), PRF(), PRF()))
        for s in slugs:
            report.topics[s].add(s in gold, s in pred)
            st_topics.add(s in gold, s in pred)
        g_off, p_off = bool(row.get("official_response")), tags.official_response
        report.official.add(g_off, p_off)
        st_off.add(g_off, p_off)
        g_issue, p_issue = bool(row.get("issue")), tags.issue
        report.issue.add(g_issue, p_issue)
        st_issue.add(g_issue, p_issue)
        if not g_issue and not is_citizen_message(row):
            fp, neg = report.issue_fp_not_messages
            report.issue_fp_not_messages = (fp + int(p_issue), neg + 1)
        if gold != pred or g_off != p_off or g_issue != p_issue:
            report.errors.append(
                {
                    "id": row.get("id"),
                    "stratum": stratum,
                    "title": row.get("title", "")[:60],
                    "text": row.get("text", "")[:60],
                    "missing": sorted(gold - pred),
                    "extra": sorted(pred - gold),
                    "official": None if g_off == p_off else ("FN" if g_off else "FP"),
                    "issue": None if g_issue == p_issue else ("FN" if g_issue else "FP"),
                    "issue_evidence": list(tags.issue_evidence),
                    "evidence": {t.slug: [*list(t.terms), t.rule, str(t.score)] for t in tags.topics},
                    "response_evidence": list(tags.response_evidence),
                    "note": row.get("note", ""),
                }
            )
    return report


def is_citizen_message(row: dict[str, Any]) -> bool:
    """A citizen message to a government board (teddycup, not a ``答复：`` reply); every one is an issue."""
    return row.get("source_dataset") == "teddycup2020_smart_gov" and not str(row.get("title", "")).startswith(
        "答复："
    )


def issue_fpr(report: Report) -> float:
    fp, neg = report.issue_fp_not_messages
    return fp / neg if neg else 0.0


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
    ]
    i = report.issue
    fp, neg = report.issue_fp_not_messages
    lines += [
        f"{'issue':28} {i.precision:6.3f} {i.recall:6.3f} {i.f1:6.3f} {i.support:8d} {i.tp:4d} {i.fp:4d} {i.fn:4d}",
        f"{'issue FPR, not messages':28} {issue_fpr(report):6.3f}  ({fp} of {neg} items that are neither issues nor citizen messages)",
        "",
        "per stratum (topic micro P/R/F1 | official P/R/F1 | issue P/R/F1):",
    ]
    for stratum, (t, off, iss) in sorted(report.strata.items()):
        lines.append(
            f"  {stratum:32} topics {t.precision:5.3f} {t.recall:5.3f} {t.f1:5.3f} (n+={t.support:3d})"
            f" | official {off.precision:5.3f} {off.recall:5.3f} {off.f1:5.3f} (n+={off.support:3d})"
            f" | issue {iss.precision:5.3f} {iss.recall:5.3f} {iss.f1:5.3f} (n+={iss.support:3d})"
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
        if e["issue"]:
            parts.append(f"issue {e['issue']}")
        lines.append(f"  {e['id']} [{'; '.join(parts)}] {e['title']} | {e['text'][:40]}")
        if e["evidence"]:
            lines.append(f"      evidence: {json.dumps(e['evidence'], ensure_ascii=False)}")
        if e["response_evidence"]:
            lines.append(f"      response: {'; '.join(e['response_evidence'])}")
        if e["issue"] and e["issue_evidence"]:
            lines.append(f"      issue: {'; '.join(e['issue_evidence'])}")
        if e["note"]:
            lines.append(f"      note: {e['note'][:100]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", type=Path, nargs="+", metavar="path", help="labelled JSON-lines files, scored as one set")
    ap.add_argument("--errors", type=int, default=200, help="confusions to print (default 200)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args(argv)
    report = evaluate([row for path in args.paths for row in load_jsonl(path)])
    if args.json:
        summary = {
            "n": report.n,
            "macro_f1": report.macro_f1(),
            "official_f1": report.official.f1,
            "issue_f1": report.issue.f1,
            "issue_fpr_not_messages": issue_fpr(report),
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
