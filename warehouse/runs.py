"""The runs table: a run recorded as it starts and as it ends, and runs whose process died marked abandoned."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta

from yuqing.errors import StorageError
from yuqing.timeutil import utcnow

from .checks import RUN_STATUSES
from .db import Warehouse
from .staging import require_aware


def start_run(
    wh: Warehouse, run_id: str, kind: str, as_of: datetime, *, started_at: datetime | None = None
) -> None:
    """Record a run as running, by this process (host and pid). Restarting a run_id keeps its first
    started_at and clears its end."""
    with wh.transaction() as con:
        con.execute(
            "INSERT INTO runs (run_id, kind, as_of, started_at, status, host, pid) VALUES (?, ?, ?, ?, 'running', ?, ?) "
            "ON CONFLICT (run_id) DO UPDATE SET kind = excluded.kind, as_of = excluded.as_of, "
            "status = 'running', finished_at = NULL, error = NULL, host = excluded.host, pid = excluded.pid",
            [
                run_id,
                kind,
                require_aware(as_of),
                require_aware(started_at) or utcnow(),
                socket.gethostname(),
                os.getpid(),
            ],
        )


# A run still 'running' this long after it started, on another host, is taken for dead: flow runs time out
# sooner (ingest 20 min), and a CLI ingest of 1,000 feeds takes a minute or two.
RUN_STALE_AFTER = timedelta(minutes=60)


def latest_other_run_status(wh: Warehouse, run_id: str) -> str | None:
    """The status of the run that started last before or beside ``run_id`` (None: no other run)."""
    row = wh.con.execute(
        "SELECT status FROM runs WHERE run_id <> ? ORDER BY started_at DESC LIMIT 1", [run_id]
    ).fetchone()
    return str(row[0]) if row is not None else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def abandon_dead_runs(wh: Warehouse, *, now: datetime | None = None) -> list[str]:
    """Mark 'abandoned' the runs left 'running' by a process that is gone: on this host, one whose pid no
    longer exists; elsewhere, one started more than RUN_STALE_AFTER ago. Returns a line per run, for the
    report of the run that noticed."""
    now = require_aware(now) or utcnow()
    host = socket.gethostname()
    found: list[str] = []
    with wh.transaction() as con:
        rows = con.execute(
            "SELECT run_id, kind, started_at, host, pid FROM runs WHERE status = 'running' ORDER BY started_at"
        ).fetchall()
        for run_id, kind, started, run_host, pid in rows:
            if run_host == host and pid is not None and pid != os.getpid():
                if _alive(int(pid)):
                    continue
                why = f"its process {pid} on {host} is gone"
            elif run_host == host and pid == os.getpid():
                continue
            elif started is not None and now - started > RUN_STALE_AFTER:
                why = f"still 'running' {int((now - started).total_seconds() // 60)} min after it started"
            else:
                continue
            con.execute(
                "UPDATE runs SET status = 'abandoned', finished_at = ?, error = ? WHERE run_id = ?",
                [now, f"abandoned: {why}; found by a later run", run_id],
            )
            found.append(f"{kind} run {run_id} (started {started:%Y-%m-%d %H:%M} UTC) did not finish: {why}")
    return found


def finish_run(
    wh: Warehouse,
    run_id: str,
    status: str,
    *,
    counts: Mapping[str, int] | None = None,
    error: str | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Close a run with status ok / partial / failed and its counts."""
    if status not in RUN_STATUSES or status == "running":
        raise ValueError(f"run status must be one of ok, partial, failed, not {status!r}")
    with wh.transaction() as con:
        row = con.execute(
            "UPDATE runs SET status = ?, finished_at = ?, counts = ?::JSON, error = ? WHERE run_id = ? "
            "RETURNING run_id",
            [
                status,
                require_aware(finished_at) or utcnow(),
                json.dumps(dict(counts), sort_keys=True) if counts is not None else None,
                error,
                run_id,
            ],
        ).fetchall()
        if not row:
            raise StorageError(f"finish_run: no run {run_id!r} (start_run was not called)")
