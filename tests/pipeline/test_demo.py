"""`yuqing demo` as a new user runs it: a real subprocess, a fresh database, the bundled feeds over loopback."""

from __future__ import annotations

import subprocess
import sys
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import duckdb

from tests.pipeline.test_ingest_pipeline import expected_item_count
from yuqing import pipeline
from yuqing.demo import DEMO_AS_OF


def test_demo_runs_the_whole_pipeline(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "yuqing.cli", "--db", str(db), "demo", "--out-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "51 sources" in proc.stdout and "re-poll: 51 of 51 sources answered 304" in proc.stdout

    con = duckdb.connect(str(db), read_only=True)
    (items,) = con.execute("SELECT count(*) FROM items").fetchone()  # type: ignore[misc]
    (events,) = con.execute("SELECT count(*) FROM v_events").fetchone()  # type: ignore[misc]
    con.close()
    assert items == expected_item_count()
    assert events > 0

    # The digest lists every overdue milestone exactly once, with its deadline.
    overdue = pipeline.overdue(db, as_of=DEMO_AS_OF)
    assert overdue, "the demo data has overdue milestones"
    msg = BytesParser(policy=policy.default).parsebytes((out / "digest.eml").read_bytes())
    assert isinstance(msg, EmailMessage)
    text_part = msg.get_body(("plain",))
    assert text_part is not None
    text = text_part.get_content()
    overdue_section = text.split("一、已逾期", 1)[1].split("二、", 1)[0]
    assert overdue_section.count("● 逾期") == len(overdue)
    for row in overdue:
        assert text.count(row.title) == 1, row.title  # each event appears once in the whole digest
        deadline = row.deadline_at.astimezone(DEMO_AS_OF.tzinfo).strftime("%Y-%m-%d %H:%M")
        assert f"（{row.milestone}） · 规则 {row.rule_id}" in overdue_section
        assert f"时限 {deadline}" in overdue_section
    assert (out / "digest.html").exists()
