"""Process helpers for the tests that start real servers: own every process, leave none behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


def tool(name: str) -> str:
    """A console script of the project's virtualenv (prefect, yuqing), else the one on PATH."""
    path = VENV_BIN / name
    return str(path) if path.exists() else name


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_session(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    """Start ``args`` as the leader of a new session: everything it starts can be found and ended.

    Its Ctrl-C (SIGINT) is the default one, as in a terminal, whatever this process was started with:
    a shell without job control starts background commands with SIGINT ignored, and a child inherits
    that, so a test sending SIGINT would otherwise depend on how the suite was launched.
    """
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(args), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_default_sigint,
        )  # fmt: skip


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def session_members(sid: int) -> list[int]:
    """Live processes of session ``sid`` (Linux /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # fields after the command: state, ppid, pgrp, session, ...
        if fields[0] != "Z" and int(fields[3]) == sid:
            members.append(int(entry.name))
    return members


def end_session(proc: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """SIGTERM every process of ``proc``'s session, then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        members = session_members(proc.pid)
        if not members and proc.poll() is not None:
            break
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and session_members(proc.pid):
            time.sleep(0.2)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def wait_healthy(api_url: str, proc: subprocess.Popen[bytes], *, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            )
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(f"{api_url}/health", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.5)
    raise AssertionError(f"server not healthy after {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


def item_counts(db: Path) -> tuple[int, int]:
    """(items, distinct item ids) of a warehouse file nobody is writing."""
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("select count(*), count(distinct item_id) from items").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
