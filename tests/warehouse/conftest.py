from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from wh_builders import SOURCES

from warehouse.db import Warehouse
from warehouse.store import sync_sources


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "yuqing.duckdb"


@pytest.fixture
def wh(db_path: Path) -> Iterator[Warehouse]:
    with Warehouse.open(db_path) as opened:
        sync_sources(opened, SOURCES)
        yield opened
