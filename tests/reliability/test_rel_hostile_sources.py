"""A hostile answer concerns its own source only: whatever a server sends back (a redirect to a URL no client can
use, a Retry-After that is not a number), the run records that source's failure with a reason and a backoff, and
every other source is fetched and stored. Through the real ``yuqing ingest``, against servers on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from tests.reliability.conftest import real_feed_names
from tests.reliability.rel_servers import ReliabilityServer

AS_OF = "2021-06-18T08:00:00+08:00"


def hostile(rel_server: ReliabilityServer, feed: str) -> dict[str, str]:
    def to(url: str) -> str:
        return rel_server.url("to") + "?url=" + quote(url, safe="")

    return {
        "port-99999": to("http://127.0.0.1:99999/x"),
        "port-65536": to("http://127.0.0.1:65536/x"),
        "unclosed-ipv6": to("http://[::1/x"),
        "label-70": to("http://" + "a" * 70 + ".example/"),
        "empty-label": to("http://a..example/"),
        "retry-after-superscript": rel_server.url(f"always429/{quote('²')}/{feed}"),
    }


def yq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))  # fmt: skip


def test_hostile_answers_fail_their_own_source_only(tmp_path: Path, rel_server: ReliabilityServer) -> None:
    names = real_feed_names()[:2]
    sources = {**hostile(rel_server, names[0]), "healthy": rel_server.url(names[1])}
    path = tmp_path / "sources.toml"
    path.write_text("".join(f'[[source]]\nname = "{n}"\nurl = "{u}"\n\n' for n, u in sources.items()), encoding="utf-8")
    db = tmp_path / "y.duckdb"
    for _ in range(2):  # the second run meets the same answers (or the backoff they earned)
        proc = yq("--db", str(db), "ingest", "--sources", str(path), "--as-of", AS_OF)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        logged = con.execute(
            "SELECT source, status, disposition, error FROM fetch_log WHERE run_id = "
            "(SELECT run_id FROM runs WHERE kind = 'ingest' ORDER BY started_at LIMIT 1) ORDER BY source"
        ).fetchall()
        runs = con.execute("SELECT status FROM runs WHERE kind = 'ingest' ORDER BY started_at").fetchall()
        backoff = dict(con.execute("SELECT name, consecutive_failures FROM sources").fetchall())
        items = con.execute("SELECT count(*) FROM items WHERE source = 'healthy'").fetchone()
    finally:
        con.close()
    by_source = {row[0]: row for row in logged}
    assert set(by_source) == set(sources)
    for name in hostile(rel_server, names[0]):
        _source, status, disposition, error = by_source[name]
        assert status not in ("new", "unchanged", "not_modified") and disposition and error, by_source[name]
        assert backoff[name] >= 1, name
    assert by_source["healthy"][1] == "new"
    assert items is not None and items[0] > 0
    assert runs == [("partial",), ("partial",)]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:99999/feed.xml", "port"),
        ("http://[::1/feed.xml", "url"),
        ("http://" + "a" * 70 + ".example/feed.xml", "host"),
        ("http://a..example/feed.xml", "host"),
    ],
)
def test_a_bad_url_in_the_sources_file_is_a_config_error_with_its_line(tmp_path: Path, url: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[[source]]\nname = "ok"\nurl = "http://127.0.0.1:8080/a.xml"\n\n[[source]]\nname = "bad"\nurl = "{url}"\n',
                    encoding="utf-8")  # fmt: skip
    proc = yq("--db", str(tmp_path / "y.duckdb"), "ingest", "--sources", str(path), "--as-of", AS_OF)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{path}:7:" in proc.stderr and message in proc.stderr.lower() and "Traceback" not in proc.stderr


def test_a_run_killed_mid_way_is_found_and_said_by_the_next(tmp_path: Path, rel_server: ReliabilityServer) -> None:
    names = real_feed_names()[:2]
    path = tmp_path / "sources.toml"
    slow = {"slow": rel_server.url(f"slowdrip/{names[0]}"), "healthy": rel_server.url(names[1])}
    path.write_text("".join(f'[[source]]\nname = "{n}"\nurl = "{u}"\n\n' for n, u in slow.items()), encoding="utf-8")
    db = tmp_path / "y.duckdb"
    proc = subprocess.Popen([sys.executable, "-m", "yuqing.cli", "--db", str(db), "ingest", "--sources", str(path),
                             "--as-of", AS_OF], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(5)  # the run is recorded and waiting on the drip (the ingest holds the file: no peeking)
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone() == (1,)
    finally:
        con.close()
    path.write_text(f'[[source]]\nname = "healthy"\nurl = "{slow["healthy"]}"\n', encoding="utf-8")
    again = yq("--db", str(db), "ingest", "--sources", str(path), "--as-of", AS_OF)
    assert again.returncode == 0, again.stderr
    assert f"did not finish: its process {proc.pid}" in again.stdout and "marked abandoned" in again.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = con.execute("SELECT status, error FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    assert [r[0] for r in runs] == ["abandoned", "ok"] and "is gone" in runs[0][1]


def test_a_password_in_a_url_is_used_but_never_stored_or_shown(tmp_path: Path, rel_server: ReliabilityServer) -> None:
    feed = real_feed_names()[0]
    url = rel_server.url(feed).replace("http://", "http://ops:s3cret-pw@")
    path = tmp_path / "sources.toml"
    path.write_text(f'[[source]]\nname = "with-password"\nurl = "{url}"\n', encoding="utf-8")
    db = tmp_path / "y.duckdb"
    proc = yq("--db", str(db), "ingest", "--sources", str(path), "--as-of", AS_OF)
    assert proc.returncode == 0 and "s3cret-pw" not in proc.stdout + proc.stderr
    for file in (db, db.with_name("y.snapshot.duckdb")):
        con = duckdb.connect(str(file), read_only=True)
        try:
            (stored,) = con.execute("SELECT url FROM sources").fetchone()  # type: ignore[misc]
            (items,) = con.execute("SELECT count(*) FROM items").fetchone()  # type: ignore[misc]
        finally:
            con.close()
        assert stored == url.replace("s3cret-pw", "***") and items > 0


def test_the_same_url_twice_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:8080/a.xml"\n\n'
                    '[[source]]\nname = "b"\nurl = "http://127.0.0.1:8080/a.xml"\n', encoding="utf-8")  # fmt: skip
    proc = yq("--db", str(tmp_path / "y.duckdb"), "ingest", "--sources", str(path), "--as-of", AS_OF)
    assert proc.returncode == 2 and f"{path}:7: source 'b': the same url as the source at line 3" in proc.stderr


def test_a_3m_character_title_in_a_9_mb_feed_is_processed_in_seconds(tmp_path: Path) -> None:
    """Text work is linear and capped: one 3,000,000-character title without punctuation (a 9 MB feed, under the
    body cap) used to stall the whole ingest for minutes; it is classified on its first 1,000 characters, noted."""
    from yuqing.feedserver import FeedServer

    title = ("工地欠薪农民工讨薪煤矿爆炸事故污染排放学校医院养老低保救助房地产烂尾楼" * 90_000)[:3_000_000]
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "big.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>'
        f"<item><title>{title}</title><link>https://example.cn/1</link></item></channel></rss>",
        encoding="utf-8",
    )
    with FeedServer(feeds) as server:
        path = tmp_path / "sources.toml"
        path.write_text(f'[[source]]\nname = "big"\nurl = "{server.url("big.xml")}"\n', encoding="utf-8")
        started = time.monotonic()
        proc = yq("--db", str(tmp_path / "y.duckdb"), "ingest", "--sources", str(path), "--as-of", AS_OF)
        elapsed = time.monotonic() - started
    assert proc.returncode == 0 and " new " in proc.stdout, proc.stdout + proc.stderr
    assert elapsed < 60, elapsed  # about 4 s here
    con = duckdb.connect(str(tmp_path / "y.duckdb"), read_only=True)
    try:
        (length, note) = con.execute(
            "SELECT length(title), json_extract_string(evidence, '$.extra.truncated_title') FROM items"
        ).fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert length == 3_000_000 and note == "first 1000 of 3000000 characters"


def test_processing_has_a_deadline_like_fetching(tmp_path: Path) -> None:
    """A body that takes longer than YUQING_PROCESS_DEADLINE to parse and classify is that source's failure, with
    the reason; the other sources are stored."""
    from yuqing.feedserver import FeedServer

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    many = "".join(f"<item><title>某地工地拖欠农民工工资{n}</title><link>https://example.cn/{n}</link></item>"
                   for n in range(30_000))  # fmt: skip
    (feeds / "many.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>m</title>{many}</channel></rss>')
    (feeds / "one.xml").write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>o</title>'
                                   "<item><title>一条</title><link>https://example.cn/one</link></item></channel></rss>")  # fmt: skip
    with FeedServer(feeds) as server:
        path = tmp_path / "sources.toml"
        path.write_text(f'[[source]]\nname = "many"\nurl = "{server.url("many.xml")}"\n\n'
                        f'[[source]]\nname = "one"\nurl = "{server.url("one.xml")}"\n', encoding="utf-8")  # fmt: skip
        proc = subprocess.run(
            [sys.executable, "-m", "yuqing.cli", "--db", str(tmp_path / "y.duckdb"), "ingest", "--sources", str(path),
             "--as-of", AS_OF],
            capture_output=True, text=True, timeout=300, env={**os.environ, "YUQING_PROCESS_DEADLINE": "0.5"},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines() if line.startswith(("many ", "one "))}
    assert "parse_error" in rows["many"] and "processing took longer than 0.5 s" in rows["many"]
    assert " new " in rows["one"]
