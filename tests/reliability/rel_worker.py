"""A pipeline step in a child process that can be killed at a random point of its real work.

The child (``python -m tests.reliability.rel_worker``) imports everything and loads the lexicons,
says ``ready``, then reads one JSON line naming the step and runs it:

    ["ingest", DB, SOURCES, AS_OF] | ["track", DB, AS_OF] | ["digest", DB, AS_OF, ADDR, ...]

so a kill lands in the step itself, not in interpreter start-up. The parent side is ``Workers``:
it keeps one spare child warming up while the current one runs, so thirty kill rounds do not wait
thirty times for an interpreter.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]


class Workers:
    """Children started on demand with one warm spare; ``start(step, *args)`` runs a step in one."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = {**os.environ, **(env or {})}
        self._spare: subprocess.Popen[str] | None = None

    def _spawn(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.rel_worker"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def start(self, *step: str) -> subprocess.Popen[str]:
        proc, self._spare = (self._spare or self._spawn()), None
        assert proc.stdout is not None and proc.stdin is not None
        line = proc.stdout.readline().strip()
        if line != "ready":
            proc.kill()
            raise RuntimeError(f"worker said {line!r}: {proc.communicate()[1]}")
        proc.stdin.write(json.dumps(step) + "\n")
        proc.stdin.flush()
        self._spare = self._spawn()
        return proc

    def close(self) -> None:
        if self._spare is not None:
            self._spare.kill()
            self._spare.communicate()
            self._spare = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def kill_after(proc: subprocess.Popen[str], delay: float) -> bool:
    """SIGKILL after ``delay`` s; True when the kill landed before the step finished."""
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"worker failed ({proc.returncode}): {err}")
    return proc.returncode == -signal.SIGKILL


def main() -> int:
    from classifiers import Classifier
    from yuqing import pipeline
    from yuqing.digest import send as _send  # noqa: F401  (imported before "ready")
    from yuqing.track import run as _run  # noqa: F401

    Classifier.default()
    print("ready", flush=True)
    line = sys.stdin.readline()
    if not line:  # a spare the parent no longer needs
        return 0
    command, db, *args = json.loads(line)
    if command == "ingest":
        sources, as_of_text = args
        pipeline.ingest(Path(db), Path(sources), as_of=datetime.fromisoformat(as_of_text))
    elif command == "track":
        (as_of_text,) = args
        pipeline.track(Path(db), as_of=datetime.fromisoformat(as_of_text))
    elif command == "digest":
        as_of_text, *to = args
        pipeline.digest(Path(db), as_of=datetime.fromisoformat(as_of_text), to=to)
    else:
        raise SystemExit(f"unknown command {command}")
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
