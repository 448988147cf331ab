"""yuqing: 政务舆情 monitoring — ingest, classify, store, track response deadlines, alert."""

__version__ = "0.1.0"
