"""A separate writer process for the concurrency tests (run as a script, not collected by pytest).

``--hold S``: open the warehouse read-write, print "locked", hold it S seconds.
``--seconds S``: for S seconds, repeatedly open the warehouse, commit a batch of new items and
publish the snapshot, like a flow run each time; print the totals as JSON at the end.
"""

from __future__ import annotations

import argparse
import json
import time

from wh_builders import SOURCES, T0, make_item, make_result

from warehouse.db import Warehouse
from warehouse.snapshot import publish_snapshot
from warehouse.store import commit_source_batch, sync_sources


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    if args.hold:
        with Warehouse.open(args.db) as wh:
            sync_sources(wh, SOURCES)
            print("locked", flush=True)
            time.sleep(args.hold)
        return
    written = runs = 0
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        with Warehouse.open(args.db, lock_timeout=30) as wh:
            sync_sources(wh, SOURCES)
            items = [make_item(n) for n in range(written, written + args.batch)]
            commit_source_batch(wh, f"writer-{runs}", T0, [make_result("src-a", items, etag=f'"{runs}"')])
            publish_snapshot(wh)
        written += args.batch
        runs += 1
        if runs == 1:
            print("first", flush=True)
    print(json.dumps({"items": written, "runs": runs}), flush=True)


if __name__ == "__main__":
    main()
