from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from digest_smtp import SmtpServer
from digest_world import World, build

from warehouse.db import Warehouse


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse.open(tmp_path / "yuqing.duckdb") as opened:
        yield opened


@pytest.fixture
def world(wh: Warehouse) -> World:
    return build(wh)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down() -> Iterator[SmtpServer]:
    """A port with no server yet; the test starts it."""
    server = SmtpServer()
    yield server
    server.stop()
