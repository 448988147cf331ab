"""A real HTTP server on 127.0.0.1 standing in for chat robots and webhooks: it keeps every POST and answers
as each path is told to (``ok``: ``{"errcode": 0}``, ``500``, ``refuse``: ``{"errcode": 310000}``, ``hang``:
no answer until the test lets it go)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Post:
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]


@dataclass
class Robots:
    modes: dict[str, str] = field(default_factory=dict)  # path -> ok | 500 | refuse | hang
    posts: list[Post] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)  # set when a request reaches a hang
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def __enter__(self) -> Robots:
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                mode = robots.modes.get(parts.path, "ok")
                with robots.lock:
                    robots.posts.append(Post(parts.path, parse_qs(parts.query), json.loads(raw)))
                if mode == "hang":
                    robots.arrived.set()
                    robots.release.wait(30)
                    return
                if mode == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                answer = (
                    {"errcode": 0, "errmsg": "ok"}
                    if mode != "refuse"
                    else {"errcode": 310000, "errmsg": "sign not match"}
                )
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def to(self, path: str) -> list[Post]:
        with self.lock:
            return [p for p in self.posts if p.path == path]
