"""Which RUNNING runs ``flows.recovery`` judges gone (the real path: tests/flows/test_flows_deploy.py)."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace
from uuid import uuid4

from flows.recovery import BOOT_LABEL, HOST_LABEL, PID_LABEL, boot_id, judge, pid_alive


def _run(host: str | None, pid: int | None) -> SimpleNamespace:
    labels = {}
    if host is not None:
        labels[HOST_LABEL] = host
    if pid is not None:
        labels[PID_LABEL] = str(pid)
    return SimpleNamespace(id=uuid4(), name=f"run-{host}-{pid}", labels=labels)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_pid_alive_tells_a_live_process_from_a_finished_one() -> None:
    import os

    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())
    assert not pid_alive(0)


def test_a_run_of_this_host_whose_process_is_gone_is_stale_and_a_live_one_is_not() -> None:
    import os

    dead, live = _run("h1", _dead_pid()), _run("h1", os.getpid())
    stale = judge([dead, live], host="h1")
    assert [s.flow_run_id for s in stale] == [dead.id]
    assert "is gone" in stale[0].reason


def test_runs_elsewhere_are_stale_only_to_a_run_holding_the_deployments_only_slot() -> None:
    elsewhere, unlabelled = _run("h2", 12345), _run(None, None)
    assert judge([elsewhere, unlabelled], host="h1") == []
    stale = judge([elsewhere, unlabelled], host="h1", slot_held=True)
    assert {s.flow_run_id for s in stale} == {elsewhere.id, unlabelled.id}
    assert all("concurrency slot" in s.reason for s in stale)


def test_a_run_never_judges_itself() -> None:
    me = _run("h2", 1)
    assert judge([me], host="h1", me=me.id, slot_held=True) == []


def test_a_run_of_an_earlier_boot_of_this_host_is_stale_whatever_its_pid() -> None:
    import os

    assert boot_id()  # Linux says which boot this is
    earlier = _run("h1", os.getpid())  # a live pid: after a restart, pids are handed out again
    earlier.labels[BOOT_LABEL] = "an-earlier-boot"
    this_boot = _run("h1", os.getpid())
    this_boot.labels[BOOT_LABEL] = boot_id()
    stale = judge([earlier, this_boot], host="h1")
    assert [s.flow_run_id for s in stale] == [earlier.id]
    assert "restarted" in stale[0].reason
