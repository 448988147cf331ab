"""Response bodies: Content-Encoding decoded incrementally under a size cap."""

from __future__ import annotations

import zlib


class BodyTooLarge(Exception):
    """Raised inside the body reader; translated to RetrieveError(TOO_LARGE)."""


class BadContentEncoding(Exception):
    """The body's Content-Encoding is unsupported or corrupt."""


class BodyDecoder:
    """Incremental Content-Encoding decoder that never holds more than ``limit`` + one chunk.

    Each ``decompress`` call is bounded with ``max_length``, so a gzip bomb (a few KB inflating to
    gigabytes) is refused as soon as the output passes the cap, not after inflating it.
    """

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._parts: list[bytes] = []
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        for coding in codings:
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise BadContentEncoding(f"unsupported content-encoding: {coding}")
        # Applied in reverse order of listing (RFC 9110 8.4).
        self._codings = list(reversed(codings))
        self._decoders: list[zlib._Decompress | None] = [None] * len(self._codings)

    def _new(self, coding: str, first: bytes) -> zlib._Decompress:
        if coding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is meant to be zlib-wrapped (RFC 9110 8.4.1.2); some servers send raw deflate.
        if (
            first
            and (first[0] & 0x0F) == 8
            and ((first[0] << 8) | (first[1] if len(first) > 1 else 0)) % 31 == 0
        ):
            return zlib.decompressobj()
        return zlib.decompressobj(-zlib.MAX_WBITS)

    def _run(self, level: int, data: bytes) -> list[bytes]:
        if level == len(self._codings):
            return [data]
        if not data:
            return []
        decoder = self._decoders[level]
        if decoder is None:
            decoder = self._decoders[level] = self._new(self._codings[level], data)
        out: list[bytes] = []
        pending = data
        while pending:
            try:
                piece = decoder.decompress(pending, self.limit - self.size + 1)
            except zlib.error as e:
                raise BadContentEncoding(f"corrupt {self._codings[level]} body: {e}") from e
            pending = decoder.unconsumed_tail
            for chunk in self._run(level + 1, piece):
                self._take(chunk)
                out.append(chunk)
            if decoder.eof:
                break
        return out

    def _take(self, chunk: bytes) -> None:
        if chunk:
            self.size += len(chunk)
        if self.size > self.limit:
            raise BodyTooLarge(f"body larger than {self.limit} bytes")

    def feed(self, data: bytes) -> None:
        if not self._codings:
            self._take(data)
            self._parts.append(data)
            return
        self._parts.extend(self._run(0, data))

    def finish(self) -> bytes:
        return b"".join(self._parts)
