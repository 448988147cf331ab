"""Nothing waits for the warehouse slot silently: a step that has to wait logs that it waits, and which runs are
running; it gets the slot once the holder lets go. The slot is a lease renewed by its holder (60 s), so a holder
killed with -9 frees it within a minute instead of Prefect's default five."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from flows.common import WAREHOUSE_LEASE_SECONDS, warehouse_lock


def test_a_wait_for_the_warehouse_slot_is_logged(
    prefect_harness: None, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Prefect's logging set-up decides where the lines go (its console handler, or pytest's): look at both.
    caplog.set_level(logging.INFO, logger="yuqing.flows")
    logging.getLogger("yuqing.flows").setLevel(logging.INFO)
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with warehouse_lock():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(30)
    threading.Timer(8.0, release.set).start()
    started = time.monotonic()
    with warehouse_lock():
        waited = time.monotonic() - started
    thread.join(30)
    err = capfd.readouterr().err + "\n".join(r.getMessage() for r in caplog.records)
    assert "waiting for the warehouse slot 'yuqing-warehouse'" in err and "running now:" in err, err[-2000:]
    assert "got the warehouse slot" in err
    assert 5 <= waited < 25
    assert WAREHOUSE_LEASE_SECONDS <= 60
