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
import itertools
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
_PAYLOAD = (1 << 60) - 1
_M_ORDER = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
)
_FOLD = str.maketrans(
    "123456789０１２３４５６７８９ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0" * 19 + "abcdefghijklmnopqrstuvwxyz"
)

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """How items become features; stored in the model file so training and scoring agree."""

    bits: int = 18
    orders: tuple[int, ...] = (1, 2)
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
    return text.translate(_FOLD)


def _fold_codes(cp: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """``fold`` on code points: ASCII and full-width digits to ``0``, A–Z to a–z (vectorised)."""
    out = cp.copy()
    digit = ((cp >= 0x31) & (cp <= 0x39)) | ((cp >= 0xFF10) & (cp <= 0xFF19))
    out[digit] = 0x30
    upper = (cp >= 0x41) & (cp <= 0x5A)
    out[upper] += 32
    return out


def signal_key(name: str) -> int:
    """The (unhashed) 64-bit key of a named signal: its namespace and 56 bits of its name's digest."""
    digest = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=7).digest(), "little")
    return (NS_SIGNAL << 60) | digest


# Every signal name keyed so far, by key: an explanation names a signal feature without hashing again.
_SIGNAL_NAMES: dict[int, str] = {}


@cache
def _signal_key_cached(name: str) -> int:
    key = signal_key(name)
    _SIGNAL_NAMES[key] = name
    return key


def _bucket(keys: npt.NDArray[np.uint64], bits: int) -> I64:
    """Multiplicative hashing of 64-bit keys into ``2**bits`` buckets."""
    with np.errstate(over="ignore"):
        h = keys * _M_ORDER[0]
        h ^= h >> np.uint64(29)
        h *= _M_ORDER[1]
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def _ngram_keys(
    texts: Sequence[str], ns: int, orders: tuple[int, ...]
) -> tuple[I64, npt.NDArray[np.uint64], I64, list[int]]:
    """(doc, key, start, run sizes) of every n-gram occurrence of ``texts`` (docs are indexes into ``texts``;
    each order's occurrences are one run in doc order).

    The texts are joined with NUL (never inside one: callers strip it) and read as code points, so
    one array pass makes every n-gram of every text; n-grams across a NUL are dropped.
    """
    if not texts:
        empty = np.empty(0, np.int64)
        return empty, np.empty(0, np.uint64), empty, []
    joined = "\x00".join(texts) + "\x00"
    raw = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    cp = _fold_codes(raw).astype(np.uint64)
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
        return empty, np.empty(0, np.uint64), empty, []
    return np.concatenate(docs), np.concatenate(keys), np.concatenate(pos), [d.size for d in docs]


@dataclass(frozen=True, slots=True)
class Features:
    """The features of a batch: parallel arrays, one row per feature occurrence."""

    n: int
    doc: I64  # which item
    bucket: I64  # hashed feature
    key: npt.NDArray[np.uint64]  # unhashed key (for explanations)
    start: I64  # where an n-gram starts in its field (-1 for signals)
    chunks: tuple[int, ...] = ()  # offsets of runs that are each sorted by doc (one per field and order)

    def counts(self) -> npt.NDArray[np.float64]:
        """Features per item (the normaliser's square)."""
        return np.bincount(self.doc, minlength=self.n).astype(np.float64)


def featurize(inputs: Sequence[ModelInput], spec: FeatureSpec) -> Features:
    """The features of ``inputs``, in one vectorised pass per field."""
    # NUL joins the texts of a field (``_ngram_keys``); the rules' parse collapses whitespace and control
    # characters never reach here, but a NUL in a field is replaced all the same.
    titles = [i.title[: spec.title_chars].replace("\x00", " ") for i in inputs]
    bodies = [i.body[: spec.body_chars].replace("\x00", " ") for i in inputs]
    pubs = [i.publisher[: spec.publisher_chars].replace("\x00", " ") for i in inputs]
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
            [len(sig_doc)],
        )
    )
    doc = np.concatenate([p[0] for p in parts])
    key = np.concatenate([p[1] for p in parts])
    start = np.concatenate([p[2] for p in parts])
    runs = np.cumsum([0, *(size for p in parts for size in p[3])])
    return Features(len(inputs), doc, _bucket(key, spec.bits), key, start, tuple(int(x) for x in runs))


def decode_key(key: int, inp: ModelInput, start: int, spec: FeatureSpec) -> str:
    """A feature as an analyst reads it: ``title:工资``, ``body:拖欠``, ``publisher:发布``, or a signal's name."""
    ns = key >> 60
    if ns == NS_SIGNAL:
        name = _SIGNAL_NAMES.get(key)
        return name if name is not None and name in inp.signals else "signal"
    field = {
        NS_TITLE: inp.title[: spec.title_chars],
        NS_BODY: inp.body[: spec.body_chars],
        NS_PUBLISHER: inp.publisher[: spec.publisher_chars],
    }.get(ns, "")
    payload = key & ((1 << 60) - 1)
    order = 1 if payload <= _CP_MAX else 2 if payload >> (2 * _CP_BITS) == 0 else 3
    return f"{_NS_NAMES.get(ns, '?')}:{field[start : start + order]}"


@dataclass(frozen=True, slots=True)
class Scored:
    """Scores of a batch: ``margin[i, l]`` (log-odds) and the features for explanations."""

    margin: npt.NDArray[np.float64]
    features: Features
    norm: npt.NDArray[np.float64]  # per item: a feature's contribution is its weight times this


class LinearModel:
    """Weights (buckets × labels), biases and thresholds, loaded from ``classifiers/data/model.npz``.

    ``overrule`` holds, per label, the margin below which the model overrules a lexicon's tag: a term
    found in passing (a hospital's canteen, a teachers' village named as an address) is no topic by
    the guide, and where the model is that sure of it, the lexicon's tag is dropped (in an item with a
    body only: a headline alone is its own subject). ``-inf`` (the default, and always for
    official_response and issue) never overrules. Training chooses the values, as it chooses the
    thresholds.
    """

    def __init__(
        self,
        labels: Sequence[str],
        weights: F32,
        bias: npt.NDArray[np.float64],
        thresholds: npt.NDArray[np.float64],
        spec: FeatureSpec,
        meta: dict[str, object] | None = None,
        notable_cut: npt.NDArray[np.float32] | None = None,
        overrule: npt.NDArray[np.float64] | None = None,
    ) -> None:
        if weights.shape != (1 << spec.bits, len(labels)):
            raise ValueError(
                f"weights of shape {weights.shape} do not fit {len(labels)} labels, 2**{spec.bits}"
            )
        self.labels = tuple(labels)
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float64)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.overrule = (
            np.full(len(self.labels), -np.inf) if overrule is None else np.asarray(overrule, dtype=np.float64)
        )
        if self.overrule.shape != self.thresholds.shape:
            raise ValueError(f"overrule of shape {self.overrule.shape} does not fit {len(labels)} labels")
        self.spec = spec
        self.meta = meta or {}
        self.index = {label: k for k, label in enumerate(self.labels)}
        # Per label, the features heavy enough to be named as evidence: the heaviest 0.2 % of its weights
        # (the cut is computed once, when the model is saved).
        if notable_cut is None:
            positive = np.where(self.weights > 0, self.weights, np.float32(0))
            notable_cut = np.quantile(positive, 0.998, axis=0).astype(np.float32)
        self.notable_cut = np.asarray(notable_cut, dtype=np.float32)
        self.notable = (self.weights >= self.notable_cut) & (self.weights > 0)
        self._label_bits = (np.uint64(1) << np.arange(len(self.labels), dtype=np.uint64)).astype(np.uint64)
        # Per bucket, a bit per label whose weight there is notable (a column at a time: a fifth of
        # the time of one product over the whole table, which every start-up pays).
        self._notable_bits = np.zeros(len(self.notable), dtype=np.uint64)
        for k in range(len(self.labels)):
            self._notable_bits |= self.notable[:, k].astype(np.uint64) << np.uint64(k)

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
                notable_cut=z["notable_cut"] if "notable_cut" in z.files else None,
                overrule=z["overrule"] if "overrule" in z.files else None,
            )

    def save(self, path: Path) -> None:
        meta = dict(self.meta)
        meta["features"] = self.spec.as_json()
        # Uncompressed (5 MB of float16 weights): it loads in milliseconds, where inflating takes 50 ms
        # of every `yuqing tag`'s start.
        with open(path, "wb") as fh:
            np.savez(
                fh,
                labels=np.array(self.labels),
                weights=self.weights.astype(np.float16),
                bias=self.bias,
                thresholds=self.thresholds,
                notable_cut=self.notable_cut,
                overrule=self.overrule,
                meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
            )

    def score(self, inputs: Sequence[ModelInput]) -> Scored:
        feats = featurize(inputs, self.spec)
        return self.score_features(feats)

    def score_features(self, feats: Features) -> Scored:
        n = feats.n
        norm = 1.0 / np.sqrt(np.maximum(feats.counts(), 1.0))
        margin = np.zeros((n, len(self.labels)), dtype=np.float64)
        runs = feats.chunks or (0, feats.doc.size)
        for a, b in itertools.pairwise(runs):
            if b <= a:
                continue
            d = feats.doc[a:b]  # sorted within a run
            firsts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
            margin[d[firsts]] += np.add.reduceat(self.weights[feats.bucket[a:b]], firsts, axis=0)
        margin *= norm[:, None]
        margin += self.bias
        return Scored(margin, feats, norm)

    def explain_all(
        self, scored: Scored, wanted: npt.NDArray[np.bool_], inputs: Sequence[ModelInput], top: int = 5
    ) -> dict[tuple[int, int], tuple[tuple[str, float], ...]]:
        """For every (item, label) marked in ``wanted`` (n × labels): the features that added most to that
        label's score, heaviest first, with their contributions (a feature's weight times the item's norm,
        summed over its occurrences). Only a label's ``notable`` features (its heaviest weights) are
        considered, which is what makes this one vectorised pass over the batch."""
        f = scored.features
        out: dict[tuple[int, int], tuple[tuple[str, float], ...]] = {}
        if not wanted.any() or f.doc.size == 0:
            return out
        # Single characters («，», «的») are not evidence an analyst can read: only n-grams of two or more
        # characters and the rules' signals are named.
        wanted_bits = (wanted.astype(np.uint64) * self._label_bits).sum(axis=1).astype(np.uint64)
        both = wanted_bits[f.doc] & self._notable_bits[f.bucket]
        cand = np.flatnonzero(both)
        key = f.key[cand]
        readable = ((key & np.uint64(_PAYLOAD)) > np.uint64(_CP_MAX)) | ((key >> np.uint64(60)) == NS_SIGNAL)
        cand = cand[readable]
        if cand.size == 0:
            return out
        sub, lab = np.nonzero((both[cand, None] & self._label_bits) != 0)
        occ = cand[sub]
        d, bucket = f.doc[occ], f.bucket[occ]
        c = self.weights[bucket, lab] * scored.norm[d]
        # One sort on (label, item, feature) packed in an int64; a feature is summed over its occurrences.
        packed = (lab.astype(np.int64) << 52) | (d << 24) | bucket
        order = np.argsort(packed)
        packed, c, occ = packed[order], c[order], occ[order]
        group = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]])
        total = np.add.reduceat(c, group)
        owner = packed[group] >> 24  # (label, item)
        # A feature is named by its first occurrence in the item (the one the feature arrays hold first), so the
        # evidence is the same whatever else is in the batch (the sort above does not keep occurrences in order).
        gi = np.minimum.reduceat(occ, group)
        # heaviest first within each (label, item): by weight, then stably by owner
        rank = np.argsort(-total, kind="stable")
        rank = rank[np.argsort(owner[rank], kind="stable")]
        owner, gi, total = owner[rank], gi[rank], total[rank]
        first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        pos = np.arange(owner.size) - np.repeat(first, np.diff(np.r_[first, owner.size]))
        gl, gd = owner >> 28, owner & ((1 << 28) - 1)
        keep = (pos < top) & (total > 0)
        found: dict[tuple[int, int], list[tuple[str, float]]] = {}
        rows_, labs, totals = gd[keep].tolist(), gl[keep].tolist(), total[keep].tolist()
        keys, starts = f.key[gi[keep]].tolist(), f.start[gi[keep]].tolist()
        for row, k, t, kk, st in zip(rows_, labs, totals, keys, starts, strict=True):
            found.setdefault((row, k), []).append((decode_key(kk, inputs[row], st, self.spec), round(t, 3)))
        return {rk: tuple(v) for rk, v in found.items()}


@cache
def default_model() -> LinearModel | None:
    """The shipped model, or None where none has been trained (the rules then decide alone)."""
    return LinearModel.load() if MODEL_PATH.exists() else None
