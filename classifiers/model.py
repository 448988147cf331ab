"""The learned part of the classifier: one linear model over hashed features, scored in batches.

Every item becomes a bag of features:

* character 1–3-grams of its title, of the first ``body_chars`` characters of its body and of its
  publisher's name (the account or source), each in its own namespace, digits folded to ``0``;
* **signals** from the rule-based parts, by name: the lexicon terms found (``lex:工资``), the
  publisher's kind, the official-response rules' verdict and wording, severity, the digest and
  foreign markers, whether a place is named.

Features are hashed into ``2**bits`` buckets (no vocabulary to look up: hashing is arithmetic on
arrays). An item's vector is its bucket counts divided by the square root of its feature count. The
model holds one weight column per label and a threshold per label. A score is a sum of feature
contributions, so the evidence of a decision is exact: the features that added most to it.

Training (``training/train.py``) uses :func:`featurize` too, so what is learned is what is scored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from classifiers.lexicon import DATA_DIR

MODEL_PATH = DATA_DIR / "model.npz"

# Namespaces (the top bits of a feature's 64-bit key, before hashing).
NS_TITLE, NS_BODY, NS_PUBLISHER, NS_SIGNAL = 1, 2, 3, 7
_NS_NAMES = {NS_TITLE: "title", NS_BODY: "body", NS_PUBLISHER: "publisher"}
_CP_BITS = 20  # code points folded into 20 bits: three fit in 60 bits, below the namespace
_CP_MAX = (1 << _CP_BITS) - 1
_M_ORDER = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
)
_DIGITS = str.maketrans("123456789０１２３４５６７８９", "0" * 19)

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """How items become features; stored in the model file so training and scoring agree."""

    bits: int = 18
    orders: tuple[int, ...] = (1, 2, 3)
    title_chars: int = 200
    body_chars: int = 200
    publisher_chars: int = 40

    def as_json(self) -> dict[str, object]:
        return {
            "bits": self.bits,
            "orders": list(self.orders),
            "title_chars": self.title_chars,
            "body_chars": self.body_chars,
            "publisher_chars": self.publisher_chars,
        }

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> FeatureSpec:
        return cls(
            bits=int(raw["bits"]),  # type: ignore[call-overload]
            orders=tuple(int(x) for x in raw["orders"]),  # type: ignore[attr-defined]
            title_chars=int(raw["title_chars"]),  # type: ignore[call-overload]
            body_chars=int(raw["body_chars"]),  # type: ignore[call-overload]
            publisher_chars=int(raw["publisher_chars"]),  # type: ignore[call-overload]
        )


@dataclass(frozen=True, slots=True)
class ModelInput:
    """What the model reads of one item (already normalised by the rule-based parse)."""

    title: str
    body: str
    publisher: str
    signals: tuple[str, ...]


def fold(text: str) -> str:
    """Digits to ``0`` and Latin letters to lower case: 新增3例 and 新增12例 share their n-grams."""
    return text.translate(_DIGITS).lower()


def signal_key(name: str) -> int:
    """The (unhashed) 64-bit key of a named signal: its namespace and 56 bits of its name's digest."""
    digest = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=7).digest(), "little")
    return (NS_SIGNAL << 60) | digest


@cache
def _signal_key_cached(name: str) -> int:
    return signal_key(name)


def _bucket(keys: npt.NDArray[np.uint64], bits: int) -> I64:
    """Multiplicative hashing of 64-bit keys into ``2**bits`` buckets."""
    with np.errstate(over="ignore"):
        h = keys * _M_ORDER[0]
        h ^= h >> np.uint64(29)
        h *= _M_ORDER[1]
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def _ngram_keys(texts: Sequence[str], ns: int, orders: tuple[int, ...]) -> tuple[I64, npt.NDArray[np.uint64], I64]:
    """(doc, key, start) of every n-gram occurrence of ``texts`` (docs are indexes into ``texts``).

    The texts are joined with NUL (never inside one: callers strip it) and read as code points, so
    one array pass makes every n-gram of every text; n-grams across a NUL are dropped.
    """
    if not texts:
        empty = np.empty(0, np.int64)
        return empty, np.empty(0, np.uint64), empty
    joined = "\x00".join(texts) + "\x00"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    np.minimum(cp, np.uint64(_CP_MAX), out=cp)
    is_sep = cp == 0
    doc_of = np.cumsum(is_sep) - is_sep
    starts_of = np.r_[0, np.flatnonzero(is_sep)[:-1] + 1]
    n = cp.size
    docs: list[I64] = []
    keys: list[npt.NDArray[np.uint64]] = []
    pos: list[I64] = []
    top = np.uint64(ns << 60)
    for order in orders:
        m = n - order + 1
        if m <= 0:
            continue
        key = cp[:m].copy()
        ok = ~is_sep[:m]
        for k in range(1, order):
            key = (key << np.uint64(_CP_BITS)) | cp[k : k + m]
            ok &= ~is_sep[k : k + m]
        idx = np.flatnonzero(ok)
        docs.append(doc_of[idx])
        keys.append(key[idx] | top)
        pos.append(idx - starts_of[doc_of[idx]])
    if not docs:
        empty = np.empty(0, np.int64)
        return empty, np.empty(0, np.uint64), empty
    return np.concatenate(docs), np.concatenate(keys), np.concatenate(pos)


@dataclass(frozen=True, slots=True)
class Features:
    """The features of a batch: parallel arrays, one row per feature occurrence."""

    n: int
    doc: I64  # which item
    bucket: I64  # hashed feature
    key: npt.NDArray[np.uint64]  # unhashed key (for explanations)
    start: I64  # where an n-gram starts in its field (-1 for signals)

    def counts(self) -> npt.NDArray[np.float64]:
        """Features per item (the normaliser's square)."""
        return np.bincount(self.doc, minlength=self.n).astype(np.float64)


def featurize(inputs: Sequence[ModelInput], spec: FeatureSpec) -> Features:
    """The features of ``inputs``, in one vectorised pass per field."""
    titles = [fold(i.title[: spec.title_chars]).replace("\x00", " ") for i in inputs]
    bodies = [fold(i.body[: spec.body_chars]).replace("\x00", " ") for i in inputs]
    pubs = [fold(i.publisher[: spec.publisher_chars]).replace("\x00", " ") for i in inputs]
    parts = [
        _ngram_keys(titles, NS_TITLE, spec.orders),
        _ngram_keys(bodies, NS_BODY, spec.orders),
        _ngram_keys(pubs, NS_PUBLISHER, spec.orders[:2]),
    ]
    sig_doc = [d for d, i in enumerate(inputs) for _ in i.signals]
    sig_key = [_signal_key_cached(s) for i in inputs for s in i.signals]
    parts.append(
        (
            np.array(sig_doc, dtype=np.int64),
            np.array(sig_key, dtype=np.uint64),
            np.full(len(sig_doc), -1, dtype=np.int64),
        )
    )
    doc = np.concatenate([p[0] for p in parts])
    key = np.concatenate([p[1] for p in parts])
    start = np.concatenate([p[2] for p in parts])
    return Features(len(inputs), doc, _bucket(key, spec.bits), key, start)


def decode_key(key: int, inp: ModelInput, start: int, spec: FeatureSpec) -> str:
    """A feature as an analyst reads it: ``title:工资``, ``body:拖欠``, ``publisher:发布``, or a signal's name."""
    ns = key >> 60
    if ns == NS_SIGNAL:
        for s in inp.signals:
            if _signal_key_cached(s) == key:
                return s
        return "signal"
    field = {NS_TITLE: inp.title[: spec.title_chars], NS_BODY: inp.body[: spec.body_chars],
             NS_PUBLISHER: inp.publisher[: spec.publisher_chars]}.get(ns, "")
    payload = key & ((1 << 60) - 1)
    order = 1 if payload <= _CP_MAX else 2 if payload >> (2 * _CP_BITS) == 0 else 3
    return f"{_NS_NAMES.get(ns, '?')}:{field[start : start + order]}"


@dataclass(frozen=True, slots=True)
class Scored:
    """Scores of a batch: ``margin[i, l]`` (log-odds) and the features for explanations."""

    margin: npt.NDArray[np.float64]
    features: Features
    contributions: F32  # per feature occurrence and label: its share of the margin
    norm: npt.NDArray[np.float64]


class LinearModel:
    """Weights (buckets × labels), biases and thresholds, loaded from ``classifiers/data/model.npz``."""

    def __init__(
        self,
        labels: Sequence[str],
        weights: F32,
        bias: npt.NDArray[np.float64],
        thresholds: npt.NDArray[np.float64],
        spec: FeatureSpec,
        meta: dict[str, object] | None = None,
    ) -> None:
        if weights.shape != (1 << spec.bits, len(labels)):
            raise ValueError(f"weights of shape {weights.shape} do not fit {len(labels)} labels, 2**{spec.bits}")
        self.labels = tuple(labels)
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float64)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.spec = spec
        self.meta = meta or {}
        self.index = {label: k for k, label in enumerate(self.labels)}

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> LinearModel:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return cls(
                labels=[str(x) for x in z["labels"]],
                weights=z["weights"].astype(np.float32),
                bias=z["bias"],
                thresholds=z["thresholds"],
                spec=FeatureSpec.from_json(meta["features"]),
                meta=meta,
            )

    def save(self, path: Path) -> None:
        meta = dict(self.meta)
        meta["features"] = self.spec.as_json()
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                labels=np.array(self.labels),
                weights=self.weights.astype(np.float16),
                bias=self.bias,
                thresholds=self.thresholds,
                meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
            )

    def score(self, inputs: Sequence[ModelInput]) -> Scored:
        feats = featurize(inputs, self.spec)
        return self.score_features(feats)

    def score_features(self, feats: Features) -> Scored:
        n = feats.n
        norm = 1.0 / np.sqrt(np.maximum(feats.counts(), 1.0))
        contrib = self.weights[feats.bucket]
        contrib *= norm[feats.doc, None].astype(np.float32)
        margin = np.zeros((n, len(self.labels)), dtype=np.float64)
        if feats.doc.size:
            # Occurrences are grouped by field, each field in item order: add field by field.
            order = np.argsort(feats.doc, kind="stable")
            d = feats.doc[order]
            firsts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
            margin[d[firsts]] = np.add.reduceat(contrib[order], firsts, axis=0)
        margin += self.bias
        return Scored(margin, feats, contrib, norm)

    def explain(
        self, scored: Scored, row: int, label: str, inp: ModelInput, top: int = 5
    ) -> tuple[tuple[str, float], ...]:
        """The features that added most to ``label``'s score of item ``row``, heaviest first."""
        k = self.index[label]
        f = scored.features
        sel = np.flatnonzero(f.doc == row)
        if sel.size == 0:
            return ()
        by_name: dict[str, float] = {}
        for i in sel:
            name = decode_key(int(f.key[i]), inp, int(f.start[i]), self.spec)
            by_name[name] = by_name.get(name, 0.0) + float(scored.contributions[i, k])
        ranked = sorted(by_name.items(), key=lambda kv: -kv[1])
        return tuple((name, round(w, 3)) for name, w in ranked[:top] if w > 0)


@cache
def default_model() -> LinearModel | None:
    """The shipped model, or None where none has been trained (the rules then decide alone)."""
    return LinearModel.load() if MODEL_PATH.exists() else None
