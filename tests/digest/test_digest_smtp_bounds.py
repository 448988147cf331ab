"""A hostile SMTP server cannot hold the digest: the whole exchange has a deadline (YUQING_SMTP_DEADLINE), however
slowly the server drips its answers, and a reply is bounded in lines and bytes, however many ``220-`` continuation
lines it sends. Real sockets on 127.0.0.1; the route is recorded as failed, never left "sending"."""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from digest_world import AS_OF, World
from test_digest_send import SAFETY, settings

from warehouse.db import Warehouse
from yuqing.digest import Outcome, send_digests


class Hostile:
    """Accepts connections and misbehaves: ``drip`` sends a greeting a byte every 0.3 s, for ever; ``flood``
    sends ``220-`` continuation lines as fast as the client reads them."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        line = b"220-" + b"x" * 70 + b"\r\n"
        with conn:
            try:
                while not self.stop.is_set():
                    if self.mode == "drip":
                        for byte in b"220-hello\r\n":
                            conn.sendall(bytes([byte]))
                            time.sleep(0.3)
                    else:
                        conn.sendall(line * 64)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[Hostile]:
    server = Hostile(request.param)
    yield server
    server.close()


@pytest.mark.parametrize("hostile", ["drip", "flood"], indirect=True)
def test_a_hostile_smtp_server_is_cut_off_in_time_and_memory(wh: Warehouse, world: World, hostile: Hostile) -> None:
    class Port:
        port = hostile.port

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    (result,) = send_digests(
        wh, AS_OF, [SAFETY], settings(Port(), timeout_s=1.0, deadline_s=3.0, max_attempts=1)  # type: ignore[arg-type]
    )
    elapsed = time.monotonic() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert result.outcome is Outcome.FAILED, result
    assert elapsed < 6, elapsed  # the drip never trips the 1 s read timeout; the 3 s deadline ends it
    assert grown_mb < 50, grown_mb
    why = result.error or ""
    assert ("within 3 s" in why) if hostile.mode == "drip" else ("reply too long" in why), why
    assert wh.con.execute("SELECT state FROM digests").fetchall() == [("failed",)]
