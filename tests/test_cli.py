"""The CLI contract (README.md "Commands"), run as a user runs it: subprocesses on a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.pipeline.conftest import AS_OF, SAMPLES, write_sources
from yuqing.feedserver import FeedServer


def yq(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yuqing.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("cli")
    with FeedServer(SAMPLES / "feeds") as server:
        sources = write_sources(tmp / "sources.toml", server.base_url)
        path = tmp / "y.duckdb"
        proc = yq("--db", str(path), "ingest", "--sources", str(sources), "--as-of", AS_OF.isoformat())
        assert proc.returncode == 0, proc.stderr
        assert "51 sources" in proc.stdout
        yield path


def test_track_overdue_json_and_event(db: Path) -> None:
    track = yq("--db", str(db), "track", "--as-of", AS_OF.isoformat())
    assert track.returncode == 0, track.stderr
    assert "overdue milestones" in track.stdout

    proc = yq("--db", str(db), "overdue", "--as-of", AS_OF.isoformat(), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows
    for row in rows:
        assert {"event_id", "topics", "started_at", "milestone", "deadline_at", "severity", "title", "item_urls"} <= set(row)
        assert row["milestone"] in {"first_information", "press_conference", "first_response"}
        assert datetime.fromisoformat(row["deadline_at"]) < AS_OF
    assert len({(r["event_id"], r["milestone"]) for r in rows}) == len(rows)

    # Earlier, fewer milestones had passed their deadline.
    earlier = yq("--db", str(db), "overdue", "--as-of", "2021-06-14T08:00:00+08:00", "--json")
    assert len(earlier.stdout.splitlines()) < len(rows)

    table = yq("--db", str(db), "overdue", "--as-of", AS_OF.isoformat())
    assert rows[0]["event_id"] in table.stdout

    # Each row says why its event was opened: the opening item's issue evidence (the incident rule's wording, the
    # model's probability), [] for an official source's report of a major emergency elsewhere.
    opened = {r["event_id"]: r["opened_by"] for r in rows}
    assert all(o is None or isinstance(o, list) for o in opened.values())
    ruled = [o for o in opened.values() if o and any(e.startswith("rule: incident: ") for e in o)]
    assert ruled and all(any(e.startswith("p=") for e in o) for o in opened.values() if o)
    for line in table.stdout.splitlines():
        event_id = next((e for e in opened if e in line), None)
        if event_id is not None:
            assert ("立案依据：" in line) == (opened[event_id] is not None), line
    assert "立案依据：规则（事故事件：" in table.stdout

    # A reader that goes away (`| head`) ends the command quietly, without a traceback: here the reader has gone
    # before the command writes its first line, so its first write finds the pipe closed.
    cmd = [sys.executable, "-m", "yuqing.cli", "--db", str(db), "overdue", "--as-of", AS_OF.isoformat(), "--json"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ)) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
    assert proc.returncode == 141 and "Traceback" not in err, (proc.returncode, err)

    event = yq("--db", str(db), "event", rows[0]["event_id"])
    assert event.returncode == 0, event.stderr
    assert rows[0]["title"] in event.stdout and rows[0]["milestone"] in event.stdout


def test_retag_and_env_db(db: Path, tmp_path: Path) -> None:
    proc = yq("retag", env={"YUQING_DB": str(db)})
    assert proc.returncode == 0, proc.stderr
    assert "re-classified" in proc.stdout


def test_user_errors_are_one_clear_line(db: Path, tmp_path: Path) -> None:
    bad_ts = yq("--db", str(db), "overdue", "--as-of", "2021-06-14 08:00")
    assert bad_ts.returncode == 2 and "offset" in bad_ts.stderr and "Traceback" not in bad_ts.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1/x"\nfrequency = 5\n', encoding="utf-8")
    proc = yq("--db", str(tmp_path / "n.duckdb"), "ingest", "--sources", str(bad))
    assert proc.returncode == 2 and "frequency" in proc.stderr and ":4" in proc.stderr
    assert "Traceback" not in proc.stderr
    missing = yq("--db", str(db), "event", "ev-does-not-exist")
    assert missing.returncode == 2 and "no event" in missing.stderr


def test_read_commands_read_the_snapshot_while_a_writer_holds_the_live_file(db: Path) -> None:
    track = yq("--db", str(db), "track", "--as-of", AS_OF.isoformat())
    assert track.returncode == 0, track.stderr
    from warehouse.db import Warehouse

    with Warehouse.open(db) as wh:  # a writer holds the live file (DuckDB: nobody else may open it)
        (event_id,) = wh.con.execute("SELECT event_id FROM events ORDER BY started_at LIMIT 1").fetchone()  # type: ignore[misc]
        started = datetime.now()
        overdue = yq("--db", str(db), "overdue", "--as-of", AS_OF.isoformat())
        event = yq("--db", str(db), "event", event_id)
        elapsed = (datetime.now() - started).total_seconds()
    assert overdue.returncode == 0 and event.returncode == 0, overdue.stderr + event.stderr
    assert "read from the snapshot published" in overdue.stdout and event_id in event.stdout
    assert elapsed < 30  # no wait for the writer's lock


def test_a_severity_override_is_seen_by_readers_at_once(db: Path) -> None:
    track = yq("--db", str(db), "track", "--as-of", AS_OF.isoformat())
    assert track.returncode == 0, track.stderr
    rows = [json.loads(line) for line in yq("--db", str(db), "overdue", "--as-of", AS_OF.isoformat(), "--json").stdout.splitlines()]
    general = next(r for r in rows if r["severity"] == "general")
    proc = yq("--db", str(db), "severity", general["event_id"], "major_emergency", "--analyst", "王分析", "--reason", "群体性事件")
    assert proc.returncode == 0 and "snapshot republished" in proc.stdout, proc.stderr
    after = [json.loads(line) for line in yq("--db", str(db), "overdue", "--as-of", AS_OF.isoformat(), "--json").stdout.splitlines()]
    assert {r["severity"] for r in after if r["event_id"] == general["event_id"]} == {"major_emergency"}


def test_a_dismissed_event_leaves_the_overdue_list_until_taken_back(db: Path) -> None:
    track = yq("--db", str(db), "track", "--as-of", AS_OF.isoformat())
    assert track.returncode == 0, track.stderr

    def flagged(as_of: datetime) -> set[str]:
        proc = yq("--db", str(db), "overdue", "--as-of", as_of.isoformat(), "--json")
        assert proc.returncode == 0, proc.stderr
        return {json.loads(line)["event_id"] for line in proc.stdout.splitlines()}

    at = AS_OF + timedelta(hours=1)
    later = AS_OF + timedelta(hours=2)
    rows, later_rows = flagged(AS_OF), flagged(later)
    event_id = sorted(rows)[-1]
    proc = yq("--db", str(db), "dismiss", event_id, "--analyst", "王分析", "--reason", "广告软文", "--at", at.isoformat())
    assert proc.returncode == 0 and "snapshot republished" in proc.stdout, proc.stderr
    assert flagged(later) == later_rows - {event_id}
    assert flagged(AS_OF) == rows  # before the dismissal takes effect
    event = yq("--db", str(db), "event", event_id)
    assert "status: dismissed" in event.stdout and "by 王分析" in event.stdout and "广告软文" in event.stdout

    undo = yq("--db", str(db), "dismiss", event_id, "--undo", "--analyst", "王分析", "--reason", "看错了")
    assert undo.returncode == 0 and "taken back" in undo.stdout, undo.stderr
    now = yq("--db", str(db), "overdue", "--as-of", datetime.now(UTC).isoformat(), "--lookback-days", "0", "--json")
    assert event_id in {json.loads(line)["event_id"] for line in now.stdout.splitlines()}

    missing = yq("--db", str(db), "dismiss", "ev-does-not-exist", "--analyst", "a", "--reason", "b")
    assert missing.returncode == 2 and "no event" in missing.stderr
    bad = yq("--db", str(db), "dismiss", event_id, "--analyst", "a", "--reason", "b", "--at", "2021-06-18 08:00")
    assert bad.returncode == 2 and "offset" in bad.stderr


def test_an_analyst_links_an_answer_and_removes_it(db: Path) -> None:
    track = yq("--db", str(db), "track", "--as-of", AS_OF.isoformat())
    assert track.returncode == 0, track.stderr
    from warehouse.db import Warehouse

    rows = [json.loads(line) for line in yq("--db", str(db), "overdue", "--as-of", AS_OF.isoformat(), "--json").stdout.splitlines()]
    general = next(r for r in rows if r["milestone"] == "first_response")
    with Warehouse.open(db) as wh:  # an official item published after the event started
        (item_id,) = wh.con.execute(
            "SELECT item_id FROM items WHERE official_response AND item_time > ? ORDER BY item_time LIMIT 1",
            [datetime.fromisoformat(general["started_at"])],
        ).fetchone() or ()

    def flagged() -> set[tuple[str, str]]:
        proc = yq("--db", str(db), "overdue", "--as-of", AS_OF.isoformat(), "--json")
        return {(r["event_id"], r["milestone"]) for r in map(json.loads, proc.stdout.splitlines())}

    key = (general["event_id"], "first_response")
    proc = yq("--db", str(db), "link", general["event_id"], item_id, "--analyst", "王分析", "--reason", "答复即此事", "--kinds", "first_response")
    assert proc.returncode == 0 and "first_response met by" in proc.stdout, proc.stderr
    assert key not in flagged()
    event = yq("--db", str(db), "event", general["event_id"])
    assert "linked (first_response) by 王分析" in event.stdout
    proc = yq("--db", str(db), "link", general["event_id"], item_id, "--remove", "--analyst", "王分析", "--reason", "看错了")
    assert proc.returncode == 0 and "no longer answers" in proc.stdout, proc.stderr
    assert key in flagged()
    bad = yq("--db", str(db), "link", general["event_id"], item_id, "--analyst", "a", "--reason", "b", "--kinds", "reply")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_quality_reports_analysts_corrections_as_of_a_time(db: Path, tmp_path: Path) -> None:
    track = yq("--db", str(db), "track", "--as-of", AS_OF.isoformat())
    assert track.returncode == 0, track.stderr
    overdue = yq("--db", str(db), "overdue", "--as-of", AS_OF.isoformat(), "--json")
    event_id = sorted({json.loads(line)["event_id"] for line in overdue.stdout.splitlines()})[0]

    def quality(as_of: datetime) -> dict:
        proc = yq("--db", str(db), "quality", "--as-of", as_of.isoformat(), "--lookback-days", "0", "--json")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    at = AS_OF + timedelta(hours=3)
    before = quality(at - timedelta(minutes=30))
    proc = yq("--db", str(db), "dismiss", event_id, "--analyst", "王分析", "--reason", "专家观点", "--at", at.isoformat())
    assert proc.returncode == 0, proc.stderr
    after = quality(at + timedelta(minutes=30))
    assert after["events"]["events"] == before["events"]["events"] > 0
    assert after["events"]["dismissed"] == before["events"]["dismissed"] + 1
    changed = [
        (a["key"], a["dismissed"] - b["dismissed"])
        for a, b in zip(after["by_basis"], before["by_basis"], strict=True)
        if a["dismissed"] != b["dismissed"]
    ]
    assert len(changed) == 1 and changed[0][1] == 1

    out = tmp_path / "corrections.jsonl"
    text = yq("--db", str(db), "quality", "--as-of", (at + timedelta(minutes=30)).isoformat(), "--export", str(out))
    assert text.returncode == 0, text.stderr
    assert "dismissed (needs no answer)" in text.stdout and changed[0][0] in text.stdout
    assert "written to" in text.stdout
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    mine = [r for r in exported if r["meta"]["event_id"] == event_id]
    assert mine and all(r["meta"]["decision"] == "dismissed" and r["meta"]["reason"] == "专家观点" for r in mine)
    assert all(r["meta"]["classified"]["issue"] for r in mine)

    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    bad = yq("--db", str(db), "quality", "--export", str(blocked / "corrections.jsonl"))
    assert bad.returncode == 2 and "cannot write" in bad.stderr, bad.stderr

    missing = yq("--db", str(tmp_path / "nowhere.duckdb"), "quality")
    assert missing.returncode != 0 and not (tmp_path / "nowhere.duckdb").exists()


def test_an_analyst_merges_two_events_and_takes_it_back(db: Path, tmp_path: Path) -> None:
    track = yq("--db", str(db), "track", "--as-of", AS_OF.isoformat())
    assert track.returncode == 0, track.stderr
    mine = tmp_path / "m.duckdb"  # the other tests read the shared file's events
    mine.write_bytes(db.read_bytes())

    def flagged() -> set[tuple[str, str]]:
        proc = yq("--db", str(mine), "overdue", "--as-of", AS_OF.isoformat(), "--json")
        assert proc.returncode == 0, proc.stderr
        return {(r["event_id"], r["milestone"]) for r in map(json.loads, proc.stdout.splitlines())}

    before = flagged()
    first, second = sorted({e for e, _m in before})[:2]
    proc = yq("--db", str(mine), "merge", first, second, "--analyst", "王分析", "--reason", "同一事件")
    assert proc.returncode == 0 and "merged into" in proc.stdout and "snapshot republished" in proc.stdout, proc.stderr
    survivor = proc.stdout.split(" merged into ")[1].split()[0]
    retired = first if survivor == second else second
    assert survivor in {first, second} and retired not in {e for e, _m in flagged()}
    event = yq("--db", str(mine), "event", retired)  # the retired id still answers
    assert event.returncode == 0 and f"event {survivor}" in event.stdout, event.stderr
    quality = yq("--db", str(mine), "quality", "--lookback-days", "0", "--json")
    assert json.loads(quality.stdout.splitlines()[0])["merges"] == {"merges": 1, "events_merged": 2}

    undo = yq("--db", str(mine), "merge", survivor, "--undo", "--analyst", "王分析", "--reason", "两件事")
    assert undo.returncode == 0 and "merge taken back" in undo.stdout, undo.stderr
    assert flagged() == before
    again = yq("--db", str(mine), "merge", survivor, "--undo", "--analyst", "王分析", "--reason", "两件事")
    assert again.returncode == 2 and "no analyst's merge stands" in again.stderr
    one = yq("--db", str(mine), "merge", survivor, "--analyst", "a", "--reason", "b")
    assert one.returncode == 2 and "two events or more" in one.stderr


def test_an_analyst_splits_another_matter_off_an_event_and_takes_it_back(db: Path, tmp_path: Path) -> None:
    track = yq("--db", str(db), "track", "--as-of", AS_OF.isoformat())
    assert track.returncode == 0, track.stderr
    mine = tmp_path / "s.duckdb"
    mine.write_bytes(db.read_bytes())
    import duckdb

    with duckdb.connect(str(mine), read_only=True) as con:
        event_id, items = con.execute(  # the opening report first: the event's id stays with it
            "SELECT ei.event_id, list(ei.item_id ORDER BY ei.item_id = e.opening_item_id DESC, ei.item_id) "
            "FROM event_items AS ei JOIN events AS e USING (event_id) GROUP BY 1 HAVING count(*) >= 2 ORDER BY 1 LIMIT 1"
        ).fetchone() or ("", [])
    proc = yq("--db", str(mine), "split", event_id, items[-1], "--analyst", "王分析", "--reason", "另一件事")
    assert proc.returncode == 0 and f"{event_id} split into" in proc.stdout, proc.stderr
    event = yq("--db", str(mine), "event", event_id)
    assert "split (1 reports of" in event.stdout

    def members() -> set[str]:
        with duckdb.connect(str(mine), read_only=True) as con:
            return {i for (i,) in con.execute("SELECT item_id FROM event_items WHERE event_id = ?", [event_id]).fetchall()}

    assert members() == set(items[:-1])
    quality = yq("--db", str(mine), "quality", "--lookback-days", "0", "--json")
    assert json.loads(quality.stdout.splitlines()[0])["splits"] == 1
    undo = yq("--db", str(mine), "split", event_id, "--undo", "--analyst", "王分析", "--reason", "同一件事")
    assert undo.returncode == 0 and "split taken back" in undo.stdout, undo.stderr
    assert members() == set(items)
    bad = yq("--db", str(mine), "split", event_id, *items, "--analyst", "a", "--reason", "b")
    assert bad.returncode == 2 and "not all" in bad.stderr
