"""Orchestration helpers shared by the flows: the warehouse lock, retry policy, run names, shards.

Nothing here knows about feeds, topics or deadlines; that is the library's (``yuqing.pipeline``). This module
only decides *how* library calls are run: which errors are worth another attempt, which steps must not write
to the warehouse at the same time, and what a run is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from yuqing.errors import ConfigError, DataCheckError, DeliveryError, Disposition, RetrieveError, SchemaError
from yuqing.settings import Settings
from yuqing.timeutil import parse_as_of, shanghai

if TYPE_CHECKING:
    from prefect import Task

P = ParamSpec("P")
R = TypeVar("R")

# One DuckDB file takes one writing process at a time. Every step that opens the warehouse holds one slot of
# this Prefect global concurrency limit, so flow runs on any number of workers queue instead of failing on
# the file lock. ``strict=True`` turns a missing limit into an error instead of silently running unguarded.
WAREHOUSE_LIMIT = "yuqing-warehouse"
WAREHOUSE_LIMIT_SLOTS = 1
# A store waits this long for the warehouse; past it the task fails (and is retried) instead of hanging
# until the flow timeout.
WAREHOUSE_WAIT_SECONDS = 600.0

# Retries of a network task: 3 more attempts after 10 s, 20 s, 40 s, each +-50 % so that workers which
# failed together do not come back together.
FETCH_RETRIES = 3
FETCH_BACKOFF_SECONDS = 10.0
RETRY_JITTER = 0.5

# Errors that another attempt cannot fix: bad configuration, a schema this code does not know, a failed
# data check (the data is wrong, not the network), and programming errors. Retrying them only delays the
# failure and hides it in the logs.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    ConfigError,
    SchemaError,
    DataCheckError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    NameError,
    AssertionError,
    NotImplementedError,
    ImportError,
    ValueError,
)


def is_retryable(exc: BaseException | None) -> bool:
    """Whether a task that failed with ``exc`` should run again."""
    if exc is None:
        return True
    if isinstance(exc, PERMANENT_ERRORS):
        return False
    if isinstance(exc, RetrieveError):
        return exc.disposition is Disposition.TEMPORARY
    if isinstance(exc, DeliveryError):
        # The SMTP server may already have taken the message: sending again could mail everyone twice.
        return not exc.accepted
    return True


def _exception_of(state: Any) -> BaseException | None:
    data = getattr(state, "data", None)
    if isinstance(data, BaseException):
        return data
    try:
        result = state.result(raise_on_failure=False)
    except Exception:  # the result could not be read back; decide on what we know
        return None
    return result if isinstance(result, BaseException) else None


def retry_condition(task: Any, task_run: Any, state: Any) -> bool:
    """``retry_condition_fn`` for every task: retry temporary failures only."""
    return is_retryable(_exception_of(state))


def step(
    name: str,
    *,
    retries: int = 0,
    delay: float | Callable[[int], list[float]] = 0.0,
    condition: Callable[[Any, Any, Any], bool] = retry_condition,
    jitter: float | None = None,
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """A task of these flows: retried ``retries`` times (``delay`` seconds apart) when ``condition`` says the
    failure is worth another try; never cached and its result never persisted (the warehouse is the result)."""
    from prefect import task
    from prefect.cache_policies import NO_CACHE

    return task(
        name=name,
        retries=retries,
        retry_delay_seconds=delay,
        retry_jitter_factor=jitter,
        retry_condition_fn=condition,
        cache_policy=NO_CACHE,
        persist_result=False,
    )


# The slot is a lease the holder renews while it runs: a holder killed with -9 stops renewing, and the slot is
# free again after this long (Prefect's default, 300 s, kept the pipeline waiting five minutes after a crash).
WAREHOUSE_LEASE_SECONDS = 60.0
WAREHOUSE_WAIT_NOTICE_SECONDS = 5.0  # a wait longer than this is logged, with the runs that may hold the slot


def _log() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        from prefect import get_run_logger

        return get_run_logger()
    except Exception:  # outside a flow or task run
        return logging.getLogger("yuqing.flows")


def _running_runs() -> str:
    """The flow runs now RUNNING (names), which may hold the warehouse slot; best effort."""
    try:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
        from prefect.client.schemas.objects import StateType

        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))
                ),
                limit=10,
            )
        return (
            ", ".join(r.name for r in runs)
            or "no running flow run (a killed run's lease, freed within a minute)"
        )
    except Exception as e:
        return f"unknown ({type(e).__name__})"


@contextmanager
def warehouse_lock() -> Iterator[None]:
    """Hold the warehouse's global concurrency slot (see ``WAREHOUSE_LIMIT``). A wait is never silent: past a few
    seconds it is logged with the runs that may hold the slot."""
    from prefect.concurrency.sync import concurrency

    def slot(timeout: float) -> AbstractContextManager[None]:
        return concurrency(
            WAREHOUSE_LIMIT,
            occupy=1,
            strict=True,
            timeout_seconds=timeout,
            lease_duration=WAREHOUSE_LEASE_SECONDS,
        )

    with ExitStack() as stack:
        try:
            stack.enter_context(slot(WAREHOUSE_WAIT_NOTICE_SECONDS))
        except TimeoutError:
            _log().warning(
                "waiting for the warehouse slot %r (up to %.0f s); running now: %s",
                WAREHOUSE_LIMIT,
                WAREHOUSE_WAIT_SECONDS,
                _running_runs(),
            )
            stack.enter_context(slot(WAREHOUSE_WAIT_SECONDS))
            _log().info("got the warehouse slot %r", WAREHOUSE_LIMIT)
        yield


async def aensure_warehouse_limit(name: str = WAREHOUSE_LIMIT, limit: int = WAREHOUSE_LIMIT_SLOTS) -> bool:
    """Create the global concurrency limit if it does not exist; True when it was created.

    An existing limit is left as it is: ops may have raised it (e.g. on a warehouse that takes several
    writers) and a deploy must not undo that.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    async with get_client() as client:
        try:
            await client.read_global_concurrency_limit_by_name(name)
            return False
        except ObjectNotFound:
            pass
        try:
            await client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=limit, active=True)
            )
        except ObjectAlreadyExists:  # another deploy created it meanwhile
            return False
        return True


def ensure_warehouse_limit(name: str = WAREHOUSE_LIMIT, limit: int = WAREHOUSE_LIMIT_SLOTS) -> dict[str, Any]:
    """Deployment step (``prefect.yaml`` build and pull steps) creating the warehouse limit.

    prefect.yaml cannot declare a global concurrency limit, so ``prefect deploy`` runs this as a build step
    and every deployed run as a pull step; both are no-ops once the limit exists.
    """
    from prefect.utilities.asyncutils import run_coro_as_sync

    created = run_coro_as_sync(aensure_warehouse_limit(name, limit))
    return {"name": name, "limit": limit, "created": bool(created)}


def project_directory() -> dict[str, str]:
    """Deployment build step: the checkout ``prefect deploy`` runs in (its output feeds the pull step)."""
    return {"directory": str(Path.cwd().resolve())}


def site_path(path: str) -> Path:
    """A path parameter of a flow. A relative one is under ``$YUQING_SITE``, the site's directory of configuration
    and data outside the checkout (docs/ops.md), or under the working directory, the checkout, without it."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path(Settings.of().SITE or ".") / p


def resolve_as_of(as_of: str | None) -> datetime:
    """The flow parameter ``as_of`` (ISO 8601 with offset, or None for now) as a UTC datetime."""
    return parse_as_of(as_of)


def local_minute(when: datetime) -> str:
    """``2021-06-14T08:00``: the minute in Asia/Shanghai, as run names show it."""
    return shanghai(when).strftime("%Y-%m-%dT%H:%M")


def run_name_for(flow_name: str, as_of: str | None, scheduled: datetime, shard: str = "") -> str:
    """``ingest-2021-06-14T08:00``: the flow and the moment it ran as of (the schedule slot if no as_of)."""
    when = parse_as_of(as_of) if as_of else scheduled
    return f"{flow_name}-{local_minute(when)}{shard}"


def current_run_name() -> str:
    """``flow_run_name`` callable: names the run from its ``as_of`` parameter or its scheduled time."""
    from prefect.runtime import flow_run

    params: dict[str, Any] = flow_run.parameters or {}
    as_of = params.get("as_of")
    shard = ""
    shards = int(params.get("shards") or 1)
    if shards > 1:
        shard = f"-shard{int(params.get('shard') or 0)}of{shards}"
    return run_name_for(
        str(flow_run.flow_name),
        as_of if isinstance(as_of, str) else None,
        flow_run.scheduled_start_time,
        shard,
    )


def secret_value(block_name: str) -> str:
    """The value of a Prefect Secret block (``YUQING_SMTP_PASSWORD_BLOCK``); never logged."""
    from prefect.blocks.system import Secret

    block = cast("Secret[str]", Secret.load(block_name, _sync=True))  # type: ignore[call-arg]
    return str(block.get())
