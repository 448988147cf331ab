"""Run every ``bench/bench_*.py`` in turn (``python -m bench``, ``make bench``).

Each script runs in its own process with ``--quick`` when it offers that flag (modest sizes), else
with its default arguments; its output is passed through as it comes. The exit code is non-zero
when any script failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        quick = "--quick" in script.read_text(encoding="utf-8")
        cmd = [sys.executable, str(script), *(["--quick"] if quick else [])]
        print(f"=== {script.name} {' '.join(cmd[2:])}".rstrip(), flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, cwd=HERE.parent, check=False).returncode
        print(f"=== {script.name}: exit {rc} after {time.perf_counter() - t0:.0f} s\n", flush=True)
        if rc != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
