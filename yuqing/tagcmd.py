"""``yuqing tag``: JSON lines in, JSON lines out, in input order, one output line per input line.

Streams: each line is classified and written before the next is read, so memory stays constant
whatever the input size. A bad line yields ``{"id": …, "error": "…"}`` and the rest go on.
"""

from __future__ import annotations

import io
import json
import select
from collections.abc import Iterator
from typing import IO, Any


def _error(line_no: int, ident: Any, message: str) -> dict[str, Any]:
    return {"id": ident, "error": f"line {line_no}: {message}"}


def tag_record(classifier: Any, record: Any, line_no: int) -> dict[str, Any]:
    if not isinstance(record, dict):
        return _error(line_no, None, "expected a JSON object")
    ident = record.get("id")
    if ident is None:
        return _error(line_no, None, 'missing "id"')
    title, text = record.get("title", ""), record.get("text", "")
    if title is None:
        title = ""
    if text is None:
        text = ""
    if not isinstance(title, str) or not isinstance(text, str):
        return _error(line_no, ident, '"title" and "text" must be strings')
    url = record.get("url")
    source = record.get("source")
    if url is not None and not isinstance(url, str):
        return _error(line_no, ident, '"url" must be a string')
    if source is not None and not isinstance(source, str):
        return _error(line_no, ident, '"source" must be a string')
    tags = classifier.classify(title, text, source_name=source, url=url)
    return {
        "id": ident,
        "topics": tags.topic_slugs,
        "official_response": tags.official_response,
        "region": tags.region_code,
        "severity": tags.severity,
    }


def _input_waiting(stdin: IO[str]) -> bool:
    """True when more input is ready to read without blocking (so flushing can wait)."""
    try:
        return bool(select.select([stdin], [], [], 0)[0])
    except (OSError, ValueError, io.UnsupportedOperation):  # not a real file (tests pass StringIO)
        return True


def run_tag(stdin: IO[str], stdout: IO[str]) -> int:
    from classifiers import Classifier

    classifier = Classifier.default()
    for line_no, line in iter_lines(stdin):
        if not line.strip():
            out = _error(line_no, None, "empty line")
        else:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                out = _error(line_no, None, f"invalid JSON: {e.msg} at column {e.colno}")
            else:
                out = tag_record(classifier, record, line_no)
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        # Stream: a consumer waiting on each answer gets it as soon as no more input is queued.
        if not _input_waiting(stdin):
            stdout.flush()
    stdout.flush()
    return 0


def iter_lines(stdin: IO[str]) -> Iterator[tuple[int, str]]:
    # readline, not iteration: a file iterator reads ahead in blocks, which would stall a streaming pipe.
    line_no = 0
    while True:
        line = stdin.readline()
        if not line:
            return
        line_no += 1
        yield line_no, line
