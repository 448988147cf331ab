from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from yuqing.feedserver import FeedServer
from yuqing.timeutil import SHANGHAI

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
AS_OF = datetime(2021, 6, 18, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def samples_server() -> Iterator[FeedServer]:
    with FeedServer(SAMPLES / "feeds") as server:
        yield server


def write_sources(path: Path, base_url: str, extra: str = "") -> Path:
    text = (SAMPLES / "sources.toml").read_text(encoding="utf-8")
    path.write_text(re.sub(r"http://127\.0\.0\.1:\d+/", base_url + "/", text) + extra, encoding="utf-8")
    return path


@pytest.fixture
def sources_file(tmp_path: Path, samples_server: FeedServer) -> Path:
    return write_sources(tmp_path / "sources.toml", samples_server.base_url)
