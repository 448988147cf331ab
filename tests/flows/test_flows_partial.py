"""A run with failed sources ends in a state ops can alert on: Completed, named ``Partial``, with the failures in
its message (docs/ops.md "Alerting on runs"); a clean run stays ``Completed``."""

from __future__ import annotations

import socket
from pathlib import Path

from conftest import INGEST_AS_OF

from flows.ingest import ingest


def test_an_ingest_with_a_dead_source_ends_partial(prefect_harness: None, flow_sources: Path, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    sources = tmp_path / "sources.toml"
    sources.write_text(
        flow_sources.read_text(encoding="utf-8") + f'\n[[source]]\nname = "dead"\nurl = "http://127.0.0.1:{dead}/rss.xml"\n',
        encoding="utf-8",
    )
    state = ingest(str(sources), str(tmp_path / "y.duckdb"), as_of=INGEST_AS_OF, track_new=False, return_state=True)
    assert state.is_completed() and state.name == "Partial", state
    assert "1 source(s) failed: dead (connect_error)" in (state.message or "")
    assert "sources=52" in state.result()
