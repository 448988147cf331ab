"""The reference the one-pass scan is checked against: every part of the classifier with its own automaton.

``PerPartClassifier`` finds topics, places, severity and official wording the way each part does on its own
(the topic tagger's, the gazetteer's, the severity and official rules' own scans), where the product's
``Classifier`` reads them all from one Aho-Corasick pass. Everything after the findings is the product's code.
"""

from __future__ import annotations

from classifiers import Classifier, official, severity
from classifiers._text import Parsed
from classifiers.engine import Findings


class PerPartClassifier(Classifier):
    def _findings(
        self,
        item: Parsed,
        source_name: str | None,
        feed_url: str | None,
        source_official: bool | None,
        source_region: str | None,
    ) -> Findings:
        sev, sev_evidence = severity.assess(self.severity_rules, item.title, item.body)
        tagged = self.tagger.tag(item)
        title_places = self.gazetteer.find(item.title) if item.title else []
        body_places = self.gazetteer.find(item.body) if item.body else []
        reg, specific = self._region(item, title_places, body_places, source_name, source_region)
        return Findings(
            topics=tagged.tags,
            headline_topics=tagged.headline,
            lex_title=[k for k, _s, _e in self.tagger._find(item.title, [])] if item.title else [],
            lex_body=[k for k, _s, _e in self.tagger._find(item.body, [])] if item.body else [],
            title_places=title_places,
            foreign_place=self.tagger.foreign_marker(item.title),
            party_work=self.tagger.party_work(item.title),
            region=reg,
            place_specific=specific,
            severity=sev,
            severity_evidence=sev_evidence,
            response=official.detect(
                self.official_rules, item, source_name=source_name, url=feed_url, source_official=source_official
            ),
        )
