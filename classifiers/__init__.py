"""Item classifiers: topics, region, severity and official response, each with its evidence.

Pure functions of an item's text and source metadata; the lexicons, gazetteer and rules are data
files under ``classifiers/data`` loaded once per process.

    >>> from classifiers import classify
    >>> tags = classify("十堰燃气爆炸事故造成25人死亡", "")
    >>> tags.severity
    'major_emergency'
"""

from __future__ import annotations

from typing import Unpack

from classifiers.engine import CODE_VERSION, Classifier, SourceMeta, data_version
from classifiers.lexicon import DATA_DIR
from yuqing.models import Tags

# The packaged classifier's version: the code version and a hash of the data files (lexicons, rules,
# gazetteer and the model file), as ``Classifier().version``.
CLASSIFIER_VERSION = f"{CODE_VERSION}+{data_version(DATA_DIR)}"


def classify(title: str, text: str, **source: Unpack[SourceMeta]) -> Tags:
    """Classify one item with the default (packaged) classifier. ``feed_url``: where its feed was fetched from."""
    return Classifier.default().classify(title, text, **source)


__all__ = ["CLASSIFIER_VERSION", "Classifier", "SourceMeta", "classify"]
