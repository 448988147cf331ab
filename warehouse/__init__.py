"""The DuckDB warehouse: schema, migrations, every SQL statement, checks and the analyst snapshot."""

from __future__ import annotations

from yuqing.models import SourceResult

from .checks import assert_checks, run_checks
from .db import Warehouse, snapshot_path_for
from .items import items_as_of, load_items, retag
from .runs import finish_run, start_run
from .snapshot import connect_snapshot, publish_snapshot
from .store import BatchCounts, SourceCounts, commit_source_batch, load_source_states, sync_sources

__all__ = [
    "BatchCounts",
    "SourceCounts",
    "SourceResult",
    "Warehouse",
    "assert_checks",
    "commit_source_batch",
    "connect_snapshot",
    "finish_run",
    "items_as_of",
    "load_items",
    "load_source_states",
    "publish_snapshot",
    "retag",
    "run_checks",
    "snapshot_path_for",
    "start_run",
    "sync_sources",
]
