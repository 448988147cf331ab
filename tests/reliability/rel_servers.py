"""Loopback servers for the reliability suite: the hostile feed server plus a few more misbehaviours.

Everything binds a 127.0.0.0/8 address. Modes on top of tests/feedserver.py (first path segment):

    /huge/BYTES                  a 200 with Content-Length BYTES, streamed in 64 KiB writes (never built)
    /nolength/BYTES              the same without Content-Length (body ends when the server closes)
    /endless                     chunked transfer coding, chunks forever until the client hangs up
    /slowdrip/F                  F, one byte per second (Content-Length announced)
    /deflatebomb                 zlib-wrapped deflate of BOMB_SIZE zero bytes
    /rawdeflatebomb              raw (unwrapped) deflate of the same
    /gzipgzip                    a gzip bomb wrapped in gzip again (Content-Encoding: gzip, gzip)
    /to?url=URL                  302 to URL (quoted), absolute or relative
    /self/...                    302 to itself
    /always429/SECONDS/F         429 with Retry-After: SECONDS (percent-decoded) on every request, hits counted
    /echo/F?h=JSON               F with the response headers given as a JSON list of [name, value]
    /raw/F?h=HEX                 F after raw header lines given as hex (bytes a normal server would refuse)

``server.stats`` counts connections, requests per path and body bytes actually written, so a test can
prove the client stopped early (or never connected at all).
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.feedserver import BOMB_SIZE, HostileFeedServer, HostileHandler
from yuqing.feedserver import FeedServerHTTP

_CHUNK = 64 * 1024
RSS_HEAD = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>'


@dataclass
class Stats:
    connections: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    bytes_written: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, path: str) -> None:
        with self.lock:
            self.requests[path] += 1

    def wrote(self, mode: str, n: int) -> None:
        with self.lock:
            self.bytes_written[mode] += n


@cache
def deflate_bomb(raw: bool) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    parts = [compressor.compress(block) for _ in range(BOMB_SIZE // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


@cache
def double_gzip_bomb() -> bytes:
    from tests.feedserver import gzip_bomb

    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(gzip_bomb()) + compressor.flush()


class ReliabilityHandler(HostileHandler):
    def setup(self) -> None:
        super().setup()
        stats: Stats = self.server.stats  # type: ignore[attr-defined]
        with stats.lock:
            stats.connections += 1

    def serve(self, url_path: str, *, head: bool = False) -> None:
        self.server.stats.hit(urlsplit(url_path).path)  # type: ignore[attr-defined]
        super().serve(url_path, head=head)

    @property
    def stats(self) -> Stats:
        return self.server.stats  # type: ignore[attr-defined,no-any-return]

    def _query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def _stream(self, mode: str, total: int) -> None:
        self.wfile.write(RSS_HEAD)
        sent = len(RSS_HEAD)
        block = b"x" * _CHUNK
        while sent < total:
            piece = block[: min(_CHUNK, total - sent)]
            self.wfile.write(piece)
            sent += len(piece)
            self.stats.wrote(mode, len(piece))

    def mode_huge(self, args: list[str], rest: str) -> None:
        total = int(args[0])
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        self._stream("huge", total)

    def mode_nolength(self, args: list[str], rest: str) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Connection", "close")
        self.end_headers()
        self._stream("nolength", int(args[0]))

    def mode_endless(self, args: list[str], rest: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b"<!-- " + b"y" * (_CHUNK - 9) + b" -->"
        frame = f"{len(block):x}\r\n".encode() + block + b"\r\n"
        self.wfile.write(f"{len(RSS_HEAD):x}\r\n".encode() + RSS_HEAD + b"\r\n")
        deadline = time.monotonic() + 60  # a safety net only; the client hangs up long before
        while time.monotonic() < deadline:
            self.wfile.write(frame)
            self.stats.wrote("endless", len(block))

    def mode_slowdrip(self, args: list[str], rest: str) -> None:
        self.drip(rest, 1.0, on_byte=lambda: self.stats.wrote("slowdrip", 1))

    def mode_deflatebomb(self, args: list[str], rest: str) -> None:
        self._send(
            200, deflate_bomb(False), {"Content-Type": "application/rss+xml", "Content-Encoding": "deflate"}
        )

    def mode_rawdeflatebomb(self, args: list[str], rest: str) -> None:
        self._send(
            200, deflate_bomb(True), {"Content-Type": "application/rss+xml", "Content-Encoding": "deflate"}
        )

    def mode_gzipgzip(self, args: list[str], rest: str) -> None:
        self._send(
            200, double_gzip_bomb(), {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip, gzip"}
        )

    def mode_to(self, args: list[str], rest: str) -> None:
        target = self._query().get("url", ["/"])[0]
        self._send(302, b"", {"Location": target})

    def mode_self(self, args: list[str], rest: str) -> None:
        self._send(302, b"", {"Location": self.path})

    def mode_always429(self, args: list[str], rest: str) -> None:
        self._send(429, b"slow down\n", {"Retry-After": unquote(args[0]), "Content-Type": "text/plain"})

    def mode_echo(self, args: list[str], rest: str) -> None:
        body = self._file(rest)
        if body is None:
            return
        pairs: list[list[str]] = json.loads(self._query().get("h", ["[]"])[0])
        status = 200
        self.send_response_only(status)
        for name, value in pairs:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def mode_raw(self, args: list[str], rest: str) -> None:
        body = self._file(rest)
        if body is None:
            return
        raw = bytes.fromhex(self._query().get("h", [""])[0])
        self.send_response_only(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(raw)  # type: ignore[attr-defined]
        self.end_headers()
        self.wfile.write(body)


class ReliabilityServer(HostileFeedServer):
    handler_class = ReliabilityHandler

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stats = Stats()

    def start(self) -> ReliabilityServer:
        # socketserver's default listen backlog is 5: a burst of 32 parallel connects would overflow
        # it and wait for SYN retransmission (1 s), which tests the test server, not the fetcher.
        self._httpd = _BigBacklogHTTP((self._host, self._port), self.handler_class, self.directory)
        self._httpd.stats = self.stats  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="rel-feedserver", daemon=True)
        self._thread.start()
        return self


class _BigBacklogHTTP(FeedServerHTTP):
    request_queue_size = 256
