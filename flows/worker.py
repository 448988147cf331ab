"""The Prefect process worker, with a clean stop on SIGTERM and crash recovery at start.

    python -m flows.worker --pool yuqing-process [--name NAME] [--stop-grace 20]

This is ``prefect worker start --pool NAME --type process`` with two differences that ops rely on:

* **SIGTERM (or Ctrl-C) stops it.** The stock command (Prefect 3.8) answers SIGTERM by sending itself SIGINT,
  which its event loop does not act on: it keeps polling and starting runs, and a supervisor's stop ends in
  SIGKILL. Here the first SIGTERM or SIGINT stops taking new runs, sends the flow runs in progress SIGTERM,
  waits up to ``--stop-grace`` seconds for them to end, kills what is left, marks the runs whose process is
  gone Crashed (which releases their slots; the next run starts afresh) and exits 0: within 20 s with the
  default grace. A second signal skips the wait.
* **At start it recovers what a crash left.** Runs started on this host whose process is gone
  (the worker and its flow processes were killed together) are marked Crashed (``flows/recovery.py``), so
  the next scheduled run is not refused by the deployment's concurrency limit.

Prefect's own settings apply as for the stock worker (``PREFECT_API_URL``, ``PREFECT_WORKER_QUERY_SECONDS``…).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path

from flows import recovery

STOP_GRACE_SECONDS = 15.0
log = logging.getLogger("yuqing.flows.worker")


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux ``/proc``)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(b")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def _signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


async def _stop_runs(grace: float, hurry: asyncio.Event) -> None:
    """SIGTERM the flow-run processes this worker started, wait for them up to ``grace`` (or until ``hurry``),
    then SIGKILL the rest."""
    runs = [p for p in children(os.getpid()) if recovery.pid_alive(p)]
    if not runs:
        return
    log.warning("stopping %d flow run process(es): %s", len(runs), ", ".join(map(str, runs)))
    _signal_all(runs, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not hurry.is_set():
        runs = [p for p in runs if recovery.pid_alive(p)]
        if not runs:
            return
        await asyncio.sleep(0.2)
    runs = [p for p in runs if recovery.pid_alive(p)]
    if runs:
        log.warning("killing %d flow run process(es) still running after %.0f s", len(runs), grace)
        _signal_all(runs, signal.SIGKILL)


async def run_worker(pool: str, name: str | None = None, stop_grace: float = STOP_GRACE_SECONDS) -> int:
    from prefect.settings import PREFECT_WORKER_HEARTBEAT_SECONDS, PREFECT_WORKER_PREFETCH_SECONDS
    from prefect.workers.process import ProcessWorker

    name = name or f"yuqing@{recovery.host_name()}"
    for stale in recovery.recover_host(f"worker {name!r} starting"):
        log.warning("flow run %r was left RUNNING: marked Crashed (%s)", stale.name, stale.reason)

    loop = asyncio.get_running_loop()
    stopping, hurry = asyncio.Event(), asyncio.Event()

    def on_signal(signum: int) -> None:
        if stopping.is_set():
            hurry.set()
            return
        log.warning("%s received: worker %r stops", signal.Signals(signum).name, name)
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)

    worker = ProcessWorker(
        work_pool_name=pool,
        name=name,
        heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()),
        prefetch_seconds=PREFECT_WORKER_PREFETCH_SECONDS.value(),
    )
    serving = asyncio.ensure_future(worker.start())
    stop = asyncio.ensure_future(stopping.wait())
    await asyncio.wait({serving, stop}, return_when=asyncio.FIRST_COMPLETED)
    if serving.done():
        stop.cancel()
        serving.result()
        return 0
    await _stop_runs(stop_grace, hurry)
    # A flow process killed here reports nothing: its run would stay RUNNING with its slots held.
    for stale in recovery.recover_host(f"worker {name!r} stopping"):
        log.warning("flow run %r stopped with the worker: marked Crashed", stale.name)
    serving.cancel()
    try:
        await asyncio.wait_for(serving, timeout=5)
    except (asyncio.CancelledError, TimeoutError):
        pass
    except Exception as e:  # the worker's own teardown failed; it is stopping all the same
        log.warning("worker teardown: %s", e)
    log.warning("worker %r stopped", name)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows.worker", description=__doc__.split("\n\n")[0])
    ap.add_argument("--pool", required=True, help="the process work pool (prefect.yaml: yuqing-process)")
    ap.add_argument("--name", help="worker name (default yuqing@HOSTNAME)")
    ap.add_argument(
        "--stop-grace",
        type=float,
        default=STOP_GRACE_SECONDS,
        help=f"seconds flow runs get to stop on SIGTERM before they are killed (default {STOP_GRACE_SECONDS:.0f})",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(run_worker(args.pool, args.name, args.stop_grace))


if __name__ == "__main__":
    sys.exit(main())
