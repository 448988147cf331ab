"""Build ``yuqing/track/data/common_bigrams.tsv``: the character bigrams common in Chinese news and posts,
with their inverse document frequency, from the training pool.

    python -m training.build_common_bigrams [--pool ../shared/train/pool.jsonl] [--top 4000]

Grouping and linking weigh the bigrams two texts share by rarity: 「瓦斯」 says more about an incident
than 「发生」. A bigram in the table weighs its idf; any other weighs the table's largest idf. Only
counts of bigrams are kept (no text); the pool's titles and the first 200 characters of its texts are
counted once per item, normalised as the tracker normalises (``yuqing.track.text.normalise``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from yuqing.track.text import normalise  # noqa: E402

OUT = ROOT / "yuqing" / "track" / "data" / "common_bigrams.tsv"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=Path, default=ROOT.parent / "shared" / "train" / "pool.jsonl")
    ap.add_argument("--top", type=int, default=4000)
    args = ap.parse_args(argv)
    df: Counter[str] = Counter()
    n = 0
    with args.pool.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = normalise(row["title"] + " " + row["text"][:200])
            df.update({text[i : i + 2] for i in range(len(text) - 1)})
            n += 1
    rows = df.most_common(args.top)
    with OUT.open("w", encoding="utf-8") as out:
        out.write(f"# {n} items of the training pool; bigram, document frequency, idf = ln(N / df)\n")
        for gram, count in rows:
            out.write(f"{gram}\t{count}\t{math.log(n / count):.4f}\n")
    print(f"wrote {OUT} ({len(rows)} bigrams from {n} items)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
