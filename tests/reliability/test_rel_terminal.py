"""Terminal escapes in feed text are neither stored nor printed: ESC and BEL sequences (clear screen, window title,
colours) and bidi overrides in a title, and control characters in a source's name, through the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.track.synthetic import Scenario, Source, sh
from warehouse.db import Warehouse
from yuqing.textsafe import BIDI_CONTROLS

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\u202e\u2066"
SOURCE = "坏\x1b[2J媒体"


def yq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))  # fmt: skip


def dangerous(text: str) -> list[str]:
    return sorted({c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 or c in BIDI_CONTROLS})


def test_escapes_in_feed_text_are_not_stored_and_never_printed(tmp_path: Path) -> None:
    s = Scenario([Source(SOURCE)])
    s.post(SOURCE, f"山西某煤矿发生瓦斯爆炸事故{HOSTILE} 已造成11人死亡", sh(6, 14, 9), f"井下发生瓦斯爆炸{HOSTILE}")
    db = tmp_path / "y.duckdb"
    s.run(db, sh(6, 14, 12), sh(6, 14, 12))
    with Warehouse.open(db) as wh:
        stored = wh.con.execute("SELECT title || summary FROM items").fetchall()
        (event_id,) = wh.con.execute("SELECT event_id FROM events").fetchone()  # type: ignore[misc]
    assert stored and all(dangerous(text) == [] for (text,) in stored)
    at = sh(6, 15, 12).isoformat()
    for args in (("track", "--as-of", at), ("overdue", "--as-of", at), ("event", event_id), ("alerts",)):
        proc = yq("--db", str(db), *args)
        assert proc.returncode == 0, proc.stderr
        assert dangerous(proc.stdout + proc.stderr) == [], (args, proc.stdout)
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "坏\\u001b[2J\\u202e源"\nurl = "http://127.0.0.1:9/x.xml"\n', encoding="utf-8")
    proc = yq("--db", str(db), "ingest", "--sources", str(sources), "--as-of", at)
    assert proc.returncode == 0 and "坏\ufffd[2J\ufffd源" in proc.stdout
    assert dangerous(proc.stdout + proc.stderr) == []
