"""The alert tests' world: see ``world.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.digest.digest_smtp import SmtpServer
from yuqing.feedserver import FeedServer

from .robots import Robots
from .world import World, scenario


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The scenario (``request.param``: with the official notice or not), served and ready to poll."""
    (tmp_path / "feeds").mkdir()
    smtp = SmtpServer()
    smtp.start()
    try:
        with Robots() as robots, FeedServer(tmp_path / "feeds") as feeds:
            yield World(tmp_path, scenario(request.param), smtp, robots, feeds)
    finally:
        smtp.stop()
