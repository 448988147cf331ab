"""A pipeline step in a child process that can be killed at a random point of its real work.

The parent starts it, waits for ``ready`` (imports and lexicons are loaded, so the kill lands in the
step itself, not in interpreter start-up), writes a line to start it, then SIGKILLs it whenever it likes.

    python -m tests.reliability.rel_worker track|digest DB AS_OF [ADDR ...]
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from classifiers import Classifier
from yuqing import pipeline
from yuqing.digest import send as _send  # noqa: F401  (imported before "ready")
from yuqing.track import run as _run  # noqa: F401


def main() -> int:
    command, db, as_of_text, *to = sys.argv[1:]
    Classifier.default()
    print("ready", flush=True)
    sys.stdin.readline()
    as_of = datetime.fromisoformat(as_of_text)
    if command == "track":
        pipeline.track(Path(db), as_of=as_of)
    elif command == "digest":
        pipeline.digest(Path(db), as_of=as_of, to=to)
    else:
        raise SystemExit(f"unknown command {command}")
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
