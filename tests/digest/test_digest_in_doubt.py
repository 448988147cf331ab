"""A connection lost after the message body was sent: the server may have it, so it is never re-sent blindly."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from digest_world import AS_OF, World

from warehouse import digests as sql
from warehouse.db import Warehouse
from yuqing.digest import Outcome, Route, Security, SmtpSettings, raise_for_failures, send_digests
from yuqing.digest.collect import digest_date
from yuqing.errors import DeliveryError


class DropAfterBody:
    """Speaks just enough SMTP to take a message body, then hangs up without the final reply."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = int(self.sock.getsockname()[1])
        self.bodies = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as f:
                conn.sendall(b"220 test ESMTP\r\n")
                while line := f.readline():
                    cmd = line.strip().upper()
                    if cmd.startswith((b"EHLO", b"HELO")):
                        conn.sendall(b"250 test\r\n")
                    elif cmd == b"DATA":
                        conn.sendall(b"354 go ahead\r\n")
                        while (body := f.readline()) and body != b".\r\n":
                            pass
                        self.bodies += 1
                        break  # hang up: the client cannot know whether we queued it
                    elif cmd == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        break
                    else:
                        conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def dropper() -> Iterator[DropAfterBody]:
    server = DropAfterBody()
    yield server
    server.close()


def test_connection_lost_after_body_is_in_doubt(wh: Warehouse, world: World, dropper: DropAfterBody) -> None:
    settings = SmtpSettings(
        host="127.0.0.1",
        port=dropper.port,
        security=Security.NONE,
        sender="yuqing@example.gov.cn",
        timeout_s=5.0,
        max_attempts=3,
        backoff_s=0.0,
    )
    route = Route(name="all", recipients=("duty@example.gov.cn",), all=True)
    results = send_digests(wh, AS_OF, [route], settings, sleep=lambda s: None)
    assert results[0].outcome is Outcome.IN_DOUBT
    assert results[0].attempts == 1  # not retried
    assert dropper.bodies == 1
    row = sql.get_digest(wh.con, digest_date(AS_OF), "all")
    assert row is not None and row.state == "sending" and row.attempts == 1
    assert row.error is not None and "may have accepted" in row.error
    # The next run does not send it again either.
    again = send_digests(wh, AS_OF, [route], settings, sleep=lambda s: None)
    assert again[0].outcome is Outcome.IN_DOUBT and dropper.bodies == 1
    with pytest.raises(DeliveryError) as info:
        raise_for_failures(again)
    assert info.value.accepted
