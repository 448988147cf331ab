"""An SMTP outage holds up nothing else: while the digest retries a server that refuses connections, the warehouse
is closed, so `yuqing track` and `yuqing ingest` run meanwhile. The ledger and the log count the same attempts."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.pipeline.conftest import AS_OF, SAMPLES, write_sources
from warehouse import digests as ledger
from warehouse.db import Warehouse
from yuqing import pipeline
from yuqing.digest.collect import digest_date
from yuqing.errors import DeliveryError
from yuqing.feedserver import FeedServer


def yq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))  # fmt: skip


def test_an_smtp_outage_leaves_ingest_and_track_unblocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "y.duckdb"
    with FeedServer(SAMPLES / "feeds") as server:
        sources = write_sources(tmp_path / "sources.toml", server.base_url)
        assert yq("--db", str(db), "ingest", "--sources", str(sources), "--as-of", AS_OF.isoformat()).returncode == 0
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = s.getsockname()[1]
        for key, value in {"YUQING_SMTP_HOST": "127.0.0.1", "YUQING_SMTP_PORT": str(dead), "YUQING_SMTP_SECURITY": "none",
                           "YUQING_MAIL_FROM": "yuqing@example.gov.cn", "YUQING_SMTP_MAX_ATTEMPTS": "3",
                           "YUQING_SMTP_BACKOFF": "3"}.items():  # fmt: skip
            monkeypatch.setenv(key, value)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                pipeline.digest(db, as_of=AS_OF, to=["duty@example.gov.cn"])
            except BaseException as e:
                failure.append(e)

        caplog.set_level(logging.WARNING, logger="yuqing.digest")
        digest = threading.Thread(target=run)
        started = time.monotonic()
        digest.start()
        time.sleep(1.0)  # the first attempt has failed; the digest waits 3 s before the next
        track = yq("--db", str(db), "track", "--as-of", AS_OF.isoformat())
        ingest = yq("--db", str(db), "ingest", "--sources", str(sources), "--as-of", AS_OF.isoformat())
        during = time.monotonic() - started
        assert digest.is_alive(), "the digest should still be retrying"
        digest.join(60)
    assert track.returncode == 0 and ingest.returncode == 0, track.stderr + ingest.stderr
    assert during < 8, during  # neither waited for the digest (3 attempts, 3 + 6 s of backoff)
    assert failure and isinstance(failure[0], DeliveryError) and not failure[0].accepted
    with Warehouse.open(db) as wh:
        row = ledger.get_digest(wh.con, digest_date(AS_OF), "all")
    assert row is not None and row.state == "failed" and row.attempts == 3
    logged = [r.getMessage() for r in caplog.records if "attempt" in r.getMessage()]
    assert [m.split("attempt ")[1][:6] for m in logged] == ["1 of 3", "2 of 3"]  # the third ends the run: failed
