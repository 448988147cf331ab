"""The classifier facade: loads the data files once and tags items (pure functions of text + metadata)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from classifiers import official, region, severity
from classifiers._text import parse
from classifiers.lexicon import DATA_DIR, TOPICS_DIR, load_shared_rules, load_topics
from classifiers.topics import TopicTagger
from yuqing.models import Tags

# Bump when the code changes what it outputs for the same data; the data files are hashed in.
CODE_VERSION = "1"


def data_version(*dirs: Path) -> str:
    """A short hash of every file under ``dirs`` (names and bytes), in a stable order."""
    h = hashlib.sha256()
    for d in dirs:
        for path in sorted(p for p in d.rglob("*") if p.is_file() and p.suffix in {".toml", ".tsv"}):
            h.update(path.relative_to(d).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()[:12]


class Classifier:
    """Tags items with topics, region, severity and official/reported response, with evidence.

    Build once (``Classifier.default()`` is cached per process) and call ``classify`` per item.
    ``topics_dir`` points at another directory of topic TOML files (a ninth topic needs no code).
    """

    def __init__(self, topics_dir: Path | None = None, data_dir: Path = DATA_DIR) -> None:
        tdir = topics_dir or (data_dir / "topics")
        self.topics_dir = tdir
        self.specs = load_topics(tdir)
        self.rules = load_shared_rules(data_dir / "rules.toml")
        self.tagger = TopicTagger(self.specs, self.rules)
        self.gazetteer = region.Gazetteer(data_dir / "gazetteer.tsv")
        self.severity_rules = severity.SeverityRules.load(data_dir / "severity.toml")
        self.official_rules = official.OfficialRules.load(data_dir / "official.toml")
        dirs = [data_dir] if tdir.is_relative_to(data_dir) else [data_dir, tdir]
        self.version = f"{CODE_VERSION}+{data_version(*dirs)}"

    @staticmethod
    @cache
    def default() -> Classifier:
        return Classifier()

    @property
    def topic_slugs(self) -> tuple[str, ...]:
        return tuple(s.slug for s in self.specs)

    def classify(
        self,
        title: str,
        text: str,
        *,
        source_name: str | None = None,
        url: str | None = None,
        source_official: bool | None = None,
        source_region: str | None = None,
    ) -> Tags:
        item = parse(title or "", text or "", self.rules.lead_as_title_chars)
        topics = self.tagger.tag(item)
        reg = region.resolve(
            self.gazetteer, item.title, item.body, item.publisher or source_name, source_region
        )
        sev, sev_evidence = severity.assess(self.severity_rules, item.title, item.body)
        resp = official.detect(
            self.official_rules, item, source_name=source_name, url=url, source_official=source_official
        )
        extra: dict[str, str] = {}
        if item.publisher:
            extra["publisher"] = item.publisher
        return Tags(
            topics=topics,
            region_code=reg.code if reg else None,
            region_name=reg.name if reg else None,
            region_evidence=reg.evidence if reg else None,
            severity=sev,
            severity_evidence=sev_evidence,
            official_response=resp.official,
            response_kinds=resp.kinds,
            reported_response=resp.reported,
            response_evidence=resp.evidence,
            classifier_version=self.version,
            extra=extra,
        )

    def classify_many(self, records: Iterable[Mapping[str, Any]]) -> list[Tags]:
        """Tag records shaped like ``yuqing tag`` input: title, text, optional url/source metadata."""
        out: list[Tags] = []
        for r in records:
            out.append(
                self.classify(
                    str(r.get("title") or ""),
                    str(r.get("text") or ""),
                    source_name=r.get("source_name") or r.get("source"),
                    url=r.get("url"),
                    source_official=r.get("source_official"),
                    source_region=r.get("source_region"),
                )
            )
        return out


__all__ = ["CODE_VERSION", "TOPICS_DIR", "Classifier", "data_version"]
