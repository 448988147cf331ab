from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The tests serve their feeds, robots and SMTP servers on 127.0.0.1, which the fetcher refuses by default
# (docs/sources.md "Address policy"): they opt in here, and their subprocesses inherit it.
os.environ["YUQING_ALLOW_LOOPBACK"] = "1"


def shared_path() -> Path:
    """The team's shared data folder: ``../shared`` beside the checkout (CI lays it there too)."""
    configured = os.environ.get("YUQING_SHARED")
    path = Path(configured) if configured else ROOT.parent / "shared"
    if not (path / "data").is_dir():
        raise RuntimeError(f"shared data not found at {path} (set YUQING_SHARED)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return shared_path()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
