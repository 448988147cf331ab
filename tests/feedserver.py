"""A loopback feed server that can misbehave on request, for the fetcher's tests.

The first path segment picks the misbehaviour; the rest names a fixture file under the directory:

    /gzip/F  /deflate/F          Content-Encoding gzip / deflate (zlib-wrapped)
    /notype/F                    no Content-Type header at all
    /charset/CS/F                Content-Type says charset=CS (lying, for the decoder tests)
    /type/MEDIA/F                Content-Type is MEDIA (URL-quoted)
    /feedparser/F                Content-Type from the file's own "Header: Content-type:" comment
    /304/F                       always 304 Not Modified
    /429/SECONDS/F               429 with Retry-After: SECONDS (or an HTTP-date when SECONDS is "date")
    /status/CODE/F               that status with a short body
    /drip/F                      Content-Length, then one byte every DRIP_INTERVAL seconds
    /oversize/BYTES              a valid-looking RSS body of BYTES bytes
    /bomb                        gzip of BOMB_SIZE zero bytes (a few hundred KB on the wire)
    /loop/a, /loop/b             redirect to each other
    /chain/N/F                   N redirects, then F
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Callable
from email.utils import formatdate
from functools import cache
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

from yuqing.feedserver import FeedRequestHandler, FeedServer

DRIP_INTERVAL = 0.5
BOMB_SIZE = 64 * 1024 * 1024
_FEEDPARSER_HEADER = re.compile(rb"Header:\s*Content-type:\s*([^\r\n]+)", re.IGNORECASE)


@cache
def gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    parts = [compressor.compress(block) for _ in range(BOMB_SIZE // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


class HostileHandler(FeedRequestHandler):
    def serve(self, url_path: str, *, head: bool = False) -> None:
        path = urlsplit(url_path).path
        segments = path.lstrip("/").split("/")
        mode = segments[0]
        rest = "/".join(segments[1:])
        try:
            handler = getattr(self, f"mode_{mode}", None)
            if handler is None:
                super().serve(url_path, head=head)
            else:
                handler(segments[1:], rest)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (deadline tests): expected

    def _file(self, relative: str) -> bytes | None:
        target = self.resolve("/" + relative)
        if target is None:
            self.send_plain(HTTPStatus.NOT_FOUND, b"not found\n")
            return None
        return target.read_bytes()

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def mode_gzip(self, args: list[str], rest: str) -> None:
        body = self._file(rest)
        if body is not None:
            compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            data = compressor.compress(body) + compressor.flush()
            self._send(200, data, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})

    def mode_deflate(self, args: list[str], rest: str) -> None:
        body = self._file(rest)
        if body is not None:
            self._send(
                200,
                zlib.compress(body),
                {"Content-Type": "application/rss+xml", "Content-Encoding": "deflate"},
            )

    def mode_notype(self, args: list[str], rest: str) -> None:
        body = self._file(rest)
        if body is not None:
            self._send(200, body, {})

    def mode_charset(self, args: list[str], rest: str) -> None:
        body = self._file("/".join(args[1:]))
        if body is not None:
            self._send(200, body, {"Content-Type": f"application/rss+xml; charset={args[0]}"})

    def mode_type(self, args: list[str], rest: str) -> None:
        body = self._file("/".join(args[1:]))
        if body is not None:
            self._send(200, body, {"Content-Type": unquote(args[0])})

    def mode_feedparser(self, args: list[str], rest: str) -> None:
        body = self._file(rest)
        if body is not None:
            match = _FEEDPARSER_HEADER.search(body[:1024])
            headers = {"Content-Type": match.group(1).decode("latin-1").strip()} if match else {}
            self._send(200, body, headers)

    def mode_304(self, args: list[str], rest: str) -> None:
        self._send(304, b"", {"ETag": '"fixed"'})

    def mode_429(self, args: list[str], rest: str) -> None:
        value = formatdate(time.time() + 120, usegmt=True) if args[0] == "date" else args[0]
        self._send(429, b"slow down\n", {"Retry-After": value, "Content-Type": "text/plain"})

    def mode_status(self, args: list[str], rest: str) -> None:
        self._send(int(args[0]), b"error\n", {"Content-Type": "text/plain"})

    def mode_drip(self, args: list[str], rest: str) -> None:
        self.drip(rest, DRIP_INTERVAL)

    def drip(self, rest: str, interval: float, on_byte: Callable[[], None] | None = None) -> None:
        """Serve the file with its full Content-Length, one byte every ``interval`` seconds."""
        body = self._file(rest)
        if body is None:
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        for i in range(len(body)):
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
            if on_byte is not None:
                on_byte()
            time.sleep(interval)

    def mode_oversize(self, args: list[str], rest: str) -> None:
        size = int(args[0])
        head = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>'
        filler = b"<!-- " + b"x" * max(0, size - len(head) - 9) + b" -->"
        self._send(200, head + filler, {"Content-Type": "application/rss+xml"})

    def mode_bomb(self, args: list[str], rest: str) -> None:
        self._send(200, gzip_bomb(), {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})

    def mode_loop(self, args: list[str], rest: str) -> None:
        target = "/loop/b" if args[:1] == ["a"] else "/loop/a"
        self._send(302, b"", {"Location": target})

    def mode_chain(self, args: list[str], rest: str) -> None:
        remaining = int(args[0])
        file = "/".join(args[1:])
        if remaining <= 0:
            super().serve("/" + file)
        else:
            # Relative Location on purpose: it must be resolved against the current URL.
            self._send(301, b"", {"Location": f"../{remaining - 1}/{file}"})


class HostileFeedServer(FeedServer):
    handler_class = HostileHandler
