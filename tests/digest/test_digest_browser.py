"""The HTML part renders in a real browser (headless Chromium): a non-trivial PNG comes out."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from digest_world import AS_OF, World

from warehouse.db import Warehouse
from yuqing.digest import write_digest
from yuqing.digest.screenshot import CHROMIUM, screenshot

pytestmark = pytest.mark.slow


def _chromium() -> str:
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing on CI (apt-get install -y chromium fonts-noto-cjk)")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium fonts-noto-cjk); CI runs this test")


def test_html_part_renders_in_chromium(wh: Warehouse, world: World, tmp_path: Path) -> None:
    chromium = _chromium()
    result = write_digest(wh, AS_OF, tmp_path / "digest.eml")
    html = result.paths[1]
    png = screenshot(html, tmp_path / "digest.png", width=1000, height=1600, chromium=chromium)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1000, 1600)
    # A blank page compresses to a few KB; the digest with text, colours and bars is far larger.
    assert len(data) > 40_000
