"""A small real HTTP server for feed snapshots on 127.0.0.1 (``yuqing demo`` and the tests).

Serves one directory with feed content types, ETag and Last-Modified, and answers conditional
requests with 304, so the fetcher's conditional GET is exercised for real.
"""

from __future__ import annotations

import hashlib
import threading
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import quote, unquote, urlsplit

CONTENT_TYPES = {
    ".xml": "application/rss+xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/feed+json",
    ".html": "text/html",
    ".htm": "text/html",
}


class FeedRequestHandler(BaseHTTPRequestHandler):
    """GET/HEAD of files under the server's directory; nothing outside it is reachable."""

    server: FeedServerHTTP
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle on, the second waits for the client's delayed
    # ACK (~40 ms a response on Linux), which made a 51-feed poll over loopback take a second.
    disable_nagle_algorithm = True
    quiet: ClassVar[bool] = True

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)

    def resolve(self, url_path: str) -> Path | None:
        root = self.server.directory
        relative = unquote(urlsplit(url_path).path).lstrip("/")
        candidate = (root / relative).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate

    def do_HEAD(self) -> None:
        self.serve(self.path, head=True)

    def do_GET(self) -> None:
        self.serve(self.path)

    def serve(self, url_path: str, *, head: bool = False) -> None:
        path = self.resolve(url_path)
        if path is None:
            self.send_plain(HTTPStatus.NOT_FOUND, b"not found\n")
            return
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        mtime = int(path.stat().st_mtime)
        last_modified = formatdate(mtime, usegmt=True)
        if self.not_modified(etag, mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def not_modified(self, etag: str, mtime: int) -> bool:
        # RFC 9110 13.1.2/13.1.3: If-None-Match wins over If-Modified-Since when both are sent.
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            return mtime <= since.timestamp()
        return False

    def send_plain(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class FeedServerHTTP(ThreadingHTTPServer):
    daemon_threads = True  # a slow client never keeps the process alive
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], directory: Path
    ) -> None:
        self.directory = directory.resolve()
        super().__init__(address, handler)


class FeedServer:
    """``with FeedServer(directory) as server: fetch(server.url("feed.xml"))``.

    Binds 127.0.0.1 on an ephemeral port; the server runs in a daemon thread until the block ends.
    """

    handler_class: type[FeedRequestHandler] = FeedRequestHandler

    def __init__(self, directory: str | Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise FileNotFoundError(f"not a directory: {self.directory}")
        self._host = host
        self._port = port
        self._httpd: FeedServerHTTP | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, relative: str) -> str:
        return f"{self.base_url}/{quote(relative.lstrip('/'))}"

    def start(self) -> Self:
        self._httpd = FeedServerHTTP((self._host, self._port), self.handler_class, self.directory)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="yuqing-feedserver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m yuqing.feedserver DIR [--port N]``: serve a folder of feed files on 127.0.0.1."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m yuqing.feedserver", description=main.__doc__)
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=8787)
    args = parser.parse_args(argv)
    with FeedServer(args.directory, port=args.port) as server:
        print(f"serving {args.directory} at {server.base_url} (Ctrl-C stops)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
