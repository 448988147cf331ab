"""Read the flows' artifacts in a terminal, Chinese as Chinese.

    python -m flows.artifacts ingest-report [--limit 1]
    python -m flows.artifacts track-report --limit 3

``prefect artifact inspect`` prints an artifact as JSON with every non-ASCII character escaped (``\\u4e2d…``).
This prints the latest versions of an artifact as its readers see them in the UI: a table as aligned columns
(CJK characters counted two columns wide), markdown as it is, each under a line naming its run and time.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any


def width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, cols: int) -> str:
    return text + " " * max(0, cols - width(text))


def render_table(rows: Sequence[dict[str, Any]], max_cell: int = 60) -> str:
    """Rows of a table artifact as aligned text columns (cells longer than ``max_cell`` are cut with …)."""
    if not rows:
        return "(empty table)"
    columns = list(dict.fromkeys(k for row in rows for k in row))

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        text = " ".join(text.split())
        return text if len(text) <= max_cell else text[: max_cell - 1] + "…"

    body = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(width(c), *(width(r[i]) for r in body)) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(v, w) for v, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(lines)


def render(artifact: Any, run_name: str | None = None) -> str:
    """One artifact version: a header line, then its content."""
    data = artifact.data
    if isinstance(data, str) and artifact.type == "table":
        data = json.loads(data)
    if artifact.type == "table" and isinstance(data, dict):  # columns of values
        keys = list(data)
        data = [dict(zip(keys, values, strict=True)) for values in zip(*data.values(), strict=True)]
    content = render_table(data) if artifact.type == "table" else str(data)
    when = artifact.created.isoformat(timespec="seconds") if artifact.created else "?"
    head = f"== {artifact.key} · {run_name or artifact.flow_run_id} · {when}"
    if artifact.description:
        head += f"\n   {artifact.description}"
    return f"{head}\n{content}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows.artifacts", description=__doc__.split("\n\n")[0])
    ap.add_argument("key", help="artifact key: ingest-report, track-report, digest-report, alerts-report, judgment-quality")
    ap.add_argument("--limit", type=int, default=1, help="latest versions to print (default 1)")
    args = ap.parse_args(argv)

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[args.key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=args.limit,
        )
        if not found:
            print(f"no artifact {args.key!r}", file=sys.stderr)
            return 1
        names = {}
        for artifact in found:
            if artifact.flow_run_id and artifact.flow_run_id not in names:
                names[artifact.flow_run_id] = client.read_flow_run(artifact.flow_run_id).name
        blocks = [render(a, names.get(a.flow_run_id) if a.flow_run_id else None) for a in found]
    sys.stdout.write("\n\n".join(blocks) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
