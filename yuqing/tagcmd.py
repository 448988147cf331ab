"""``yuqing tag``: JSON lines in, JSON lines out, in input order, one output line per input line.

Streams: lines are read as they arrive and answered as soon as no more input is waiting, so a consumer
that sends one line and waits gets its answer; lines that are already queued are classified together
(at most ``BATCH`` at a time), which is how the model scores fastest. Memory stays bounded whatever the
input: a line longer than ``MAX_LINE_BYTES`` is skipped (read and dropped in pieces) with an error.

Every bad line yields ``{"id": …, "error": "line N: …"}`` and the stream goes on: invalid UTF-8 or JSON,
nesting too deep, numbers too long to read, ``NaN``/``Infinity``, lone surrogates, missing or
ill-typed fields, a line over the cap.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import select
from typing import IO, Any

MAX_LINE_BYTES = 1 << 20  # 1 MiB: far beyond any real item (titles and texts are cut far below this)
BATCH = 256  # lines classified together when they are already waiting
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadLine(ValueError):
    """A line that cannot be classified; the message says why."""


def _error(line_no: int, ident: Any, message: str) -> dict[str, Any]:
    return {"id": _safe_id(ident), "error": f"line {line_no}: {message}"}


def _safe_id(ident: Any) -> Any:
    """An id that can be written back as valid JSON (surrogates replaced, non-finite numbers dropped)."""
    if isinstance(ident, str):
        return _SURROGATE.sub("\ufffd", ident)
    if isinstance(ident, bool) or ident is None:
        return ident
    if isinstance(ident, int):
        return ident if abs(ident) < 10**30 else None
    if isinstance(ident, float):
        return ident if math.isfinite(ident) else None
    return None


def _reject_constant(name: str) -> Any:
    raise BadLine(f"invalid JSON: {name} is not a number JSON allows")


def parse_line(raw: bytes) -> dict[str, Any]:
    """The record of one input line, or BadLine."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadLine(f"not valid UTF-8 (byte {e.start})") from None
    if not line.strip():
        raise BadLine("empty line")
    try:
        record = json.loads(line, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise BadLine(f"invalid JSON: {e.msg} at column {e.colno}") from None
    except RecursionError:
        raise BadLine("invalid JSON: nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more digits than Python converts (4,300)
        if isinstance(e, BadLine):
            raise
        raise BadLine(f"invalid JSON: {str(e).split(';')[0]}") from None
    if not isinstance(record, dict):
        raise BadLine("expected a JSON object")
    return record


def check_record(record: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """(id, classifier input) of a parsed record, or BadLine (carrying the id when there is one)."""
    ident = record.get("id")
    if ident is None:
        raise BadLine('missing "id"')
    if not isinstance(ident, str | int | float) or isinstance(ident, bool):
        raise _WithId(ident, '"id" must be a string or a number')
    if isinstance(ident, str) and _SURROGATE.search(ident):
        raise _WithId(ident, '"id" holds a lone surrogate (not valid Unicode)')
    fields: dict[str, Any] = {}
    for key in ("title", "text"):
        value = record.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise _WithId(ident, '"title" and "text" must be strings')
        if _SURROGATE.search(value):
            raise _WithId(ident, f'"{key}" holds a lone surrogate (not valid Unicode)')
        fields[key] = value
    for key in ("url", "source"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise _WithId(ident, f'"{key}" must be a string')
        if isinstance(value, str) and _SURROGATE.search(value):
            raise _WithId(ident, f'"{key}" holds a lone surrogate (not valid Unicode)')
        fields[key] = value
    return ident, fields


class _WithId(BadLine):
    def __init__(self, ident: Any, message: str) -> None:
        super().__init__(message)
        self.ident = ident


def tag_record(classifier: Any, record: Any, line_no: int) -> dict[str, Any]:
    """One parsed record's answer (kept for callers that tag record by record)."""
    if not isinstance(record, dict):
        return _error(line_no, None, "expected a JSON object")
    try:
        ident, fields = check_record(record)
    except BadLine as e:
        return _error(line_no, getattr(e, "ident", None), str(e))
    return _answer(ident, classifier.classify_many([fields])[0])


def _answer(ident: Any, tags: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "topics": tags.topic_slugs,
        "official_response": tags.official_response,
        "issue": tags.issue,
        "region": tags.region_code,
        "severity": tags.severity,
    }


class LineReader:
    """Lines of a byte stream, read in blocks into a buffer of at most ``limit`` bytes (plus a block).

    ``waiting()`` tells whether another line can be had without blocking: a whole line in the buffer,
    or the file readable. A line longer than ``limit`` is read and dropped a block at a time.
    """

    def __init__(self, stream: IO[Any], limit: int = MAX_LINE_BYTES) -> None:
        raw = getattr(stream, "buffer", stream)
        try:
            self._fd: int | None = raw.fileno()
        except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
            self._fd = None
        self._stream = raw
        self._buf = bytearray()
        self._eof = False
        self.limit = limit

    def _fill(self) -> None:
        if self._fd is not None:
            data = os.read(self._fd, 1 << 16)
        else:
            data = self._stream.read(1 << 16)
            if isinstance(data, str):  # a text stream without a binary buffer (tests pass StringIO)
                data = data.encode("utf-8", "surrogatepass")
        if data:
            self._buf += data
        else:
            self._eof = True

    def readline(self) -> tuple[bytes, bool] | None:
        """(line, over the cap), or None at the end of input."""
        scanned = 0
        while True:
            nl = self._buf.find(b"\n", scanned)
            if nl >= 0:
                if nl > self.limit:
                    del self._buf[: nl + 1]
                    return b"", True
                line = bytes(self._buf[: nl + 1])
                del self._buf[: nl + 1]
                return line, False
            if len(self._buf) > self.limit:
                self._discard_line()
                return b"", True
            if self._eof:
                if not self._buf:
                    return None
                line = bytes(self._buf)
                self._buf.clear()
                return line, False
            scanned = len(self._buf)
            self._fill()

    def _discard_line(self) -> None:
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                del self._buf[: nl + 1]
                return
            self._buf.clear()
            if self._eof:
                return
            self._fill()

    def waiting(self) -> bool:
        if b"\n" in self._buf or self._eof:
            return True
        if self._fd is None:
            return True
        try:
            return bool(select.select([self._fd], [], [], 0)[0])
        except (OSError, ValueError):
            return True


def run_tag(stdin: IO[Any], stdout: IO[str]) -> int:
    from classifiers import Classifier

    classifier = Classifier.default()
    reader = LineReader(stdin)
    pending: list[tuple[Any, dict[str, Any] | None, dict[str, Any] | None]] = []

    def flush() -> None:
        """Classify the pending good lines together and write every pending answer in order."""
        good = [fields for _id, fields, _err in pending if fields is not None]
        tags = iter(classifier.classify_many(good)) if good else iter(())
        for ident, fields, err in pending:
            out = err if fields is None else _answer(ident, next(tags))
            stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        pending.clear()

    line_no = 0
    while (got := reader.readline()) is not None:
        raw, too_long = got
        line_no += 1
        if too_long:
            pending.append((None, None, _error(line_no, None, f"line longer than {MAX_LINE_BYTES} bytes")))
        else:
            try:
                ident, fields = check_record(parse_line(raw))
                pending.append((ident, fields, None))
            except BadLine as e:
                pending.append((None, None, _error(line_no, getattr(e, "ident", None), str(e))))
        # Stream: answer as soon as no more input is queued (or a batch is full).
        if len(pending) >= BATCH or not reader.waiting():
            flush()
            stdout.flush()
    flush()
    stdout.flush()
    return 0
