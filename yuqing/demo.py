"""``yuqing demo``: the whole pipeline once, on the bundled real feed snapshots served over 127.0.0.1.

The snapshots are WeChat-account feeds as of 17 June 2021, so the demo's clock is the next morning,
08:00 Asia/Shanghai, when the digest goes out: deadlines and "overdue" are computed as of then.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from warehouse.db import snapshot_path_for
from warehouse.undo import remove_database
from yuqing import pipeline
from yuqing.errors import ConfigError
from yuqing.feedserver import FeedServer
from yuqing.timeutil import SHANGHAI, to_utc

DEMO_AS_OF = datetime(2021, 6, 18, 8, 0, tzinfo=SHANGHAI)
DEMO_PORT = 8787  # the port samples/sources.toml names; any free port is used if it is taken
_LOOPBACK_URL = re.compile(r"http://127\.0\.0\.1:\d+/")


def samples_dir() -> Path:
    here = Path(__file__).resolve().parents[1] / "samples"
    if not (here / "sources.toml").is_file():
        raise ConfigError(
            f"bundled samples not found at {here}; run the demo from a checkout of the repository"
        )
    return here


def _fresh(db: Path) -> None:
    remove_database(db)
    remove_database(snapshot_path_for(db))


def _start_server(directory: Path) -> FeedServer:

    try:
        return FeedServer(directory, port=DEMO_PORT).start()
    except OSError:
        return FeedServer(directory, port=0).start()


def run_demo(db: Path, *, out_dir: Path, fresh: bool = True, as_of: datetime = DEMO_AS_OF) -> int:
    samples = samples_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    if fresh:
        _fresh(db)
    as_of = to_utc(as_of)
    server = _start_server(samples / "feeds")
    try:
        sources_text = (samples / "sources.toml").read_text(encoding="utf-8")
        sources_path = out_dir / "sources.toml"
        sources_path.write_text(_LOOPBACK_URL.sub(server.base_url + "/", sources_text), encoding="utf-8")
        print(
            f"serving {samples / 'feeds'} at {server.base_url}; database {db}; as of {as_of.astimezone(SHANGHAI)}"
        )
        print()
        # The demo's feeds are served on 127.0.0.1, which the fetcher refuses unless told (docs/sources.md).
        loopback = pipeline.default_fetch_settings(loopback=True)
        first = pipeline.ingest(db, sources_path, as_of=as_of - timedelta(minutes=15), settings=loopback)
        print(first.summary())
        print()
        again = pipeline.ingest(db, sources_path, as_of=as_of, settings=loopback)
        print(
            f"re-poll: {again.counts().get('status_not_modified', 0)} of {len(again.rows)} sources answered 304, "
            f"{again.new} new items, {again.updated} updated"
        )
    finally:
        server.stop()
    print()
    tracked = pipeline.track(db, as_of=as_of)
    print(tracked.summary())
    print()
    eml = out_dir / "digest.eml"
    print(pipeline.digest(db, as_of=as_of, out=eml))
    print()
    print(f"digest written to {eml} (open {eml.with_suffix('.html')} in a browser)")
    print(f"database {db}; analysts can query the snapshot {tracked.snapshot} while flows run")
    return 0
