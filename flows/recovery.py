"""Crash recovery without a person: runs left RUNNING by a killed process are found and marked Crashed.

A flow process killed with ``kill -9`` (or a machine that lost power) reports nothing: Prefect keeps its run
RUNNING, and the run keeps its deployment's concurrency slot until the lease the engine renews runs out
(300 s in Prefect 3.8). With ``CANCEL_NEW`` every ingest due meanwhile is cancelled, and the stuck run stays
RUNNING until someone cancels it.

Every run of a yuqing flow labels itself with where it runs (``yuqing.host``, ``yuqing.pid``, ``yuqing.boot``)
as it starts. Hosts are told apart by name: the machines of one Prefect server need distinct host names.
Two places then look for runs that cannot be running any more:

* the worker (``python -m flows.worker``) and ``yuqing serve``, as they start: a run labelled with this host
  whose process is gone was started by an earlier worker or server here, killed with it;
* every run, as it starts: the same check for other runs of its deployment on this host, and, for runs on
  other hosts, the deployment's own guarantee: with a concurrency limit of 1, a run that has been admitted
  knows any other RUNNING run of its deployment has lost its slot (a live run renews its lease, and one whose
  renewal fails stops itself).

Such a run is set Crashed (which releases its deployment slot) with a message naming who found it and why.
Everything here is best effort: an API error is logged and never fails the run that looked.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

HOST_LABEL = "yuqing.host"
PID_LABEL = "yuqing.pid"
BOOT_LABEL = "yuqing.boot"  # the kernel's boot id: a run of an earlier boot of its host is gone

log = logging.getLogger("yuqing.flows.recovery")


def host_name() -> str:
    return socket.gethostname()


def boot_id() -> str:
    """This boot of the machine (Linux); empty where the system does not say."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists here (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state != b"Z"
    except (OSError, IndexError):
        return True


@dataclass(frozen=True, slots=True)
class Stale:
    """A RUNNING run judged gone, and why."""

    flow_run_id: UUID
    name: str
    reason: str


def _labels(run: Any) -> dict[str, Any]:
    return dict(getattr(run, "labels", None) or {})


def gone_here(run: Any, host: str) -> str | None:
    """Why ``run`` cannot be running if it was started on ``host``: its process is gone. None if it may run."""
    labels = _labels(run)
    if labels.get(HOST_LABEL) != host:
        return None
    boot = boot_id()
    if boot and labels.get(BOOT_LABEL) and labels[BOOT_LABEL] != boot:
        return f"its host ({host}) has restarted since it started"
    try:
        pid = int(labels.get(PID_LABEL, 0))
    except (TypeError, ValueError):
        return None
    if pid_alive(pid):
        return None
    return f"its process ({host}, pid {pid}) is gone"


def judge(runs: Iterable[Any], *, host: str, me: UUID | None = None, slot_held: bool = False) -> list[Stale]:
    """The runs among ``runs`` (RUNNING) that cannot be running any more.

    ``slot_held``: the caller is a run admitted by a deployment concurrency limit of 1, and ``runs`` are other
    runs of that deployment: those run elsewhere have lost their slot too.
    """
    out = []
    for run in runs:
        if me is not None and run.id == me:
            continue
        reason = gone_here(run, host)
        if reason is None and slot_held and _labels(run).get(HOST_LABEL) != host:
            reason = "it no longer holds its deployment's only concurrency slot (its lease ran out)"
        if reason is not None:
            out.append(Stale(run.id, run.name, reason))
    return out


def _mark_crashed(client: Any, stale: Stale, finder: str) -> bool:
    from prefect.states import Crashed

    message = f"Marked crashed by {finder}: {stale.reason}."
    try:
        result = client.set_flow_run_state(stale.flow_run_id, Crashed(message=message))
        if getattr(getattr(result, "status", None), "value", "ACCEPT") != "ACCEPT":
            client.set_flow_run_state(stale.flow_run_id, Crashed(message=message), force=True)
    except Exception as e:  # best effort: never fail the caller
        log.warning("could not mark flow run %s crashed: %s", stale.name, e)
        return False
    return True


def _running(client: Any, *, deployment_id: UUID | None = None) -> list[Any]:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    flow_filter = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])))
    runs: list[Any] = client.read_flow_runs(
        flow_run_filter=flow_filter,
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])) if deployment_id else None,
        limit=200,
    )
    return runs


def recover_host(finder: str) -> list[Stale]:
    """For a starting (or stopping) worker or ``yuqing serve``: mark Crashed the RUNNING runs started on this host
    whose process is gone, whichever pool or server process started them. Returns what it marked."""
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            stale = judge(_running(client), host=host_name())
            return [s for s in stale if _mark_crashed(client, s, finder)]
    except Exception as e:
        log.warning("could not look for crashed runs: %s", e)
        return []


def label_and_recover() -> list[Stale]:
    """For a flow run as it starts (inside the run): label it with where it runs, then mark Crashed the
    other RUNNING runs of its deployment that cannot be running. Outside a deployment only the labels."""
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return []
    me = ctx.flow_run
    host = host_name()
    try:
        with get_client(sync_client=True) as client:
            labels: dict[str, bool | int | float | str] = {HOST_LABEL: host, PID_LABEL: str(os.getpid()), BOOT_LABEL: boot_id()}
            client.update_flow_run_labels(me.id, labels)
            if me.deployment_id is None:
                return []
            deployment = client.read_deployment(me.deployment_id)
            limit = getattr(deployment, "global_concurrency_limit", None)
            slot_held = getattr(limit, "limit", None) == 1
            others = [r for r in _running(client, deployment_id=me.deployment_id) if r.id != me.id]
            stale = judge(others, host=host, me=me.id, slot_held=slot_held)
            return [s for s in stale if _mark_crashed(client, s, f"flow run {me.name!r}")]
    except Exception as e:
        log.warning("could not label this run or look for crashed runs: %s", e)
        return []


def at_flow_start() -> None:
    """``label_and_recover`` with what it did in the run's log."""
    from prefect import get_run_logger

    for stale in label_and_recover():
        get_run_logger().warning("flow run %r was left RUNNING: marked Crashed (%s)", stale.name, stale.reason)
