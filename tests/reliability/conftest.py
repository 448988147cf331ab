from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.http import FetchRequest, FetchSettings, Retrieved, fetch_many_sync
from tests.conftest import ROOT
from tests.reliability.rel_servers import ReliabilityServer
from yuqing.errors import RetrieveError

# The real WeChat-account feeds of June 2021, as the project ships them (samples/feeds/PROVENANCE.md; the same
# files as ../shared/data/feeds_wechat_gov_news/latest).
REAL_FEEDS_DIR = ROOT / "samples" / "feeds" / "latest"


def real_feeds_dir() -> Path:
    return REAL_FEEDS_DIR


def real_feed_names() -> list[str]:
    return sorted(p.name for p in real_feeds_dir().glob("*.xml"))


def fetch_one(url: str, settings: FetchSettings, **kwargs: str) -> Retrieved | RetrieveError:
    return fetch_many_sync([FetchRequest(url, **kwargs)], settings=settings)[0]


@pytest.fixture(scope="session")
def feeds_dir() -> Path:
    return real_feeds_dir()


@pytest.fixture(scope="session")
def rel_server(feeds_dir: Path) -> Iterator[ReliabilityServer]:
    """The real WeChat/government feed snapshots, served well or badly by URL path on 127.0.0.1."""
    with ReliabilityServer(feeds_dir) as server:
        yield server
