"""A separate writer process for the concurrency tests (run as a script, not collected by pytest).

``--hold S``: open the warehouse read-write, print "locked", hold it S seconds.
``--seconds S``: for S seconds, repeatedly open the warehouse, commit a batch of new items and
publish the snapshot, like a flow run each time; print the totals as JSON at the end.
``--die-in-checkpoint before|after``: commit a batch, then die (os._exit, no clean-up) inside the closing
checkpoint, once its undo file is written, just before or just after DuckDB's CHECKPOINT.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from wh_builders import SOURCES, T0, AtCheckpoint, make_item, make_result

from warehouse.db import Warehouse
from warehouse.snapshot import publish_snapshot
from warehouse.store import commit_source_batch, sync_sources
from warehouse.undo import checkpoint


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--die-in-checkpoint", choices=["before", "after"])
    parser.add_argument("--first", type=int, default=0)
    args = parser.parse_args()
    if args.die_in_checkpoint:
        with Warehouse.open(args.db) as wh:
            sync_sources(wh, SOURCES)
            items = [make_item(n) for n in range(args.first, args.first + args.batch)]
            commit_source_batch(wh, "dies", T0, [make_result("src-a", items, etag='"dies"')])
            def die() -> None:
                os._exit(0)

            dying = AtCheckpoint(wh.con, before=die) if args.die_in_checkpoint == "before" else AtCheckpoint(wh.con, after=die)
            checkpoint(dying, args.db)  # type: ignore[arg-type]
        raise AssertionError("the writer outlived its checkpoint")
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
