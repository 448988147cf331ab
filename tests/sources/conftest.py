from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.http import LOOPBACK_NETWORKS, FetchSettings
from tests.feedserver import HostileFeedServer
from yuqing.feedserver import FeedServer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def feed_server() -> Iterator[FeedServer]:
    """The plain server of ``yuqing demo`` over the fixture files."""
    with FeedServer(FIXTURES) as server:
        yield server


@pytest.fixture(scope="session")
def hostile_server() -> Iterator[HostileFeedServer]:
    """The same fixtures served in hostile ways, selected by URL path (see tests/feedserver.py)."""
    with HostileFeedServer(FIXTURES) as server:
        yield server


@pytest.fixture
def settings() -> FetchSettings:
    # Short deadline and a small cap keep the drip and bomb tests fast.
    return FetchSettings(allowed_networks=LOOPBACK_NETWORKS, total_deadline=2.0, connect_timeout=1.0, max_body_bytes=1024 * 1024)
