"""Item classifiers: topics, region, severity and official response, each with its evidence.

Pure functions of an item's text and source metadata; the lexicons, gazetteer and rules are data
files under ``classifiers/data`` loaded once per process.

    >>> from classifiers import classify
    >>> tags = classify("十堰燃气爆炸事故造成25人死亡", "")
    >>> tags.severity
    'major_emergency'
"""

from __future__ import annotations

from classifiers.engine import CODE_VERSION, Classifier, data_version
from classifiers.lexicon import DATA_DIR
from yuqing.models import Tags

# The packaged classifier's version: the code version and a hash of the data files (lexicons, rules,
# gazetteer and the model file), as ``Classifier().version``.
CLASSIFIER_VERSION = f"{CODE_VERSION}+{data_version(DATA_DIR)}"


def classify(
    title: str,
    text: str,
    *,
    source_name: str | None = None,
    feed_url: str | None = None,
    source_official: bool | None = None,
    source_region: str | None = None,
) -> Tags:
    """Classify one item with the default (packaged) classifier. ``feed_url``: where its feed was fetched from."""
    return Classifier.default().classify(
        title,
        text,
        source_name=source_name,
        feed_url=feed_url,
        source_official=source_official,
        source_region=source_region,
    )


__all__ = ["CLASSIFIER_VERSION", "Classifier", "classify"]
