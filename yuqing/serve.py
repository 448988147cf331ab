"""``yuqing serve``: the embedded single-machine mode. Runs the ingest/track/digest flows on their schedules.

``flow.serve`` against Prefect's ephemeral API never schedules anything ("Cannot schedule flows on an
ephemeral server"), so unless ``PREFECT_API_URL`` points at a Prefect server, this starts one: ``prefect
server start`` on 127.0.0.1 with its own ``PREFECT_HOME`` beside the database (``<db dir>/.yuqing-prefect/``),
with the database vacuum on so that its SQLite file does not grow without bound. It then creates the
warehouse concurrency limit and serves the three flows with the schedules of ``prefect.yaml`` (one source
of truth). Ctrl-C or SIGTERM stops the runner, then the server it started.

Prefect is imported only after ``PREFECT_API_URL``/``PREFECT_HOME`` are set: Prefect reads its settings
when it is imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from yuqing.errors import ConfigError, YuqingError
from yuqing.settings import Settings

SERVER_DIR_NAME = ".yuqing-prefect"
# Measured here: a fresh server answers /api/health after 10-35 s (database migrations on first start).
SERVER_START_TIMEOUT_SECONDS = 180.0
SERVER_STOP_TIMEOUT_SECONDS = 20.0

# Retention of the embedded server's own database (~20 KB per task run measured): finished flow runs with
# their task runs, logs and artifacts are deleted after 14 days, events after 7.
SERVER_RETENTION = {
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(14 * 24 * 3600),
    "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": "P7D",  # ISO 8601 duration: this setting takes no seconds
}
# Offline machines: no telemetry calls home.
SERVER_QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false"}

# JSON object: deployment name -> cron string or interval in seconds, replacing that deployment's
# prefect.yaml schedules (tests use a near-future schedule; ops can stagger a slow machine).
SCHEDULE_OVERRIDE_ENV = "YUQING_SERVE_SCHEDULE_OVERRIDE"
# Set to 0 to run the embedded server without its web UI (saves memory; the API is unchanged).
UI_ENV = "YUQING_SERVE_UI"
PREFECT_YAML_ENV = "YUQING_PREFECT_YAML"


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    cron: str | None = None
    interval_seconds: float | None = None
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    """One deployment of prefect.yaml, as far as ``yuqing serve`` needs it."""

    name: str
    entrypoint: str  # "flows/ingest.py:ingest"
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: tuple[ScheduleSpec, ...] = ()
    concurrency_limit: int | None = None
    collision_strategy: str | None = None

    @property
    def module_and_attr(self) -> tuple[str, str]:
        path, _, attr = self.entrypoint.partition(":")
        return path.removesuffix(".py").replace("/", "."), attr


def project_root() -> Path:
    return Path(__file__).resolve().parents[1]


def prefect_yaml_path() -> Path:
    configured = Settings.of().PREFECT_YAML
    return Path(configured) if configured else project_root() / "prefect.yaml"


def load_deployments(path: Path) -> list[DeploymentSpec]:
    """The deployments of a prefect.yaml (name, entrypoint, parameters, schedules, concurrency)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the deployments: {e}") from e
    specs = []
    for raw in (doc or {}).get("deployments") or []:
        schedules = tuple(
            ScheduleSpec(
                cron=s.get("cron"),
                interval_seconds=s.get("interval"),
                timezone=s.get("timezone") or "UTC",
            )
            for s in raw.get("schedules") or []
            if s.get("active", True)
        )
        limit = raw.get("concurrency_limit")
        if isinstance(limit, dict):
            specs.append(
                DeploymentSpec(
                    raw["name"], raw["entrypoint"], dict(raw.get("parameters") or {}), schedules,
                    limit.get("limit"), limit.get("collision_strategy"),
                )
            )  # fmt: skip
        else:
            specs.append(
                DeploymentSpec(
                    raw["name"], raw["entrypoint"], dict(raw.get("parameters") or {}), schedules, limit
                )
            )
    if not specs:
        raise ConfigError(f"{path}: no deployments")
    return specs


def apply_schedule_override(specs: list[DeploymentSpec], value: str | None) -> list[DeploymentSpec]:
    """Replace schedules per ``YUQING_SERVE_SCHEDULE_OVERRIDE`` (``{"ingest": 20, "track": "5 * * * *"}``)."""
    if not value:
        return specs
    try:
        overrides = json.loads(value)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{SCHEDULE_OVERRIDE_ENV} is not JSON: {e}") from e
    if not isinstance(overrides, dict):
        raise ConfigError(f"{SCHEDULE_OVERRIDE_ENV} must be a JSON object of deployment name -> schedule")
    unknown = set(overrides) - {s.name for s in specs}
    if unknown:
        raise ConfigError(f"{SCHEDULE_OVERRIDE_ENV} names unknown deployments: {sorted(unknown)}")
    out = []
    for spec in specs:
        if spec.name not in overrides:
            out.append(spec)
            continue
        new = overrides[spec.name]
        tz = spec.schedules[0].timezone if spec.schedules else "Asia/Shanghai"
        if isinstance(new, int | float) and not isinstance(new, bool) and new > 0:
            schedule = ScheduleSpec(interval_seconds=float(new), timezone=tz)
        elif isinstance(new, str) and new.strip():
            schedule = ScheduleSpec(cron=new.strip(), timezone=tz)
        else:
            raise ConfigError(f"{SCHEDULE_OVERRIDE_ENV}: {spec.name!r} needs a cron string or seconds > 0")
        out.append(replace(spec, schedules=(schedule,)))
    return out


def serve_parameters(spec: DeploymentSpec, db: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """prefect.yaml's parameters with this machine's paths: ``--db``, ``$YUQING_SOURCES``, ``$YUQING_ROUTES``.

    Paths become absolute (relative ones are relative to the working directory, as in the other commands),
    so a run does not depend on the directory its process starts in.
    """
    settings = Settings.of(env)
    params = dict(spec.parameters)
    if "db_path" in params:
        params["db_path"] = str(db.resolve())
    if "sources_path" in params:
        params["sources_path"] = str(Path(settings.SOURCES or params["sources_path"]).resolve())
    # The routes file: the digest's recipients, and the urgent alerts that track runs (and ingest's track step) raise.
    if spec.name in ("digest", "track", "ingest") and settings.ROUTES and not params.get("routes_path"):
        params["routes_path"] = str(Path(settings.ROUTES).resolve())
    return params


def server_env(home: Path, base: Mapping[str, str]) -> dict[str, str]:
    """Environment of the embedded ``prefect server``: its own home, retention on, no telemetry.

    A setting already present in ``base`` wins, so ops can change any of them.
    """
    env = {k: v for k, v in base.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(home)
    for key, value in {**SERVER_RETENTION, **SERVER_QUIET}.items():
        env.setdefault(key, value)
    if (Settings.of(base).SERVE_UI or "1").lower() in {"0", "false", "no"}:
        env["PREFECT_UI_ENABLED"] = "false"
    return env


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if ``yuqing serve`` dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LocalServer:
    """A ``prefect server start`` subprocess on 127.0.0.1 that this process owns."""

    def __init__(self, home: Path, *, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.home = home
        self.host = host
        self.port = port or free_port(host)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = home / "server.log"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        prefect = Path(sys.executable).with_name("prefect")
        command = [str(prefect)] if prefect.exists() else [sys.executable, "-m", "prefect"]
        command += ["server", "start", "--host", self.host, "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=server_env(self.home, os.environ),
                cwd=self.home,
                # Its own process group: Ctrl-C in the terminal reaches `yuqing serve` only, which then
                # stops the runner first and the server last.
                process_group=0,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )

    def wait_healthy(self, timeout: float = SERVER_START_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise YuqingError(
                    f"prefect server exited with code {self.process.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise YuqingError(f"prefect server not healthy after {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # uvicorn workers of the group that outlived their parent
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def prefect_api(db: Path) -> Iterator[str]:
    """``PREFECT_API_URL`` if set, else a local server started (and, on exit, stopped) here."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured
        return
    home = db.resolve().parent / SERVER_DIR_NAME
    server = LocalServer(home)
    try:
        server.start()
        print(f"yuqing serve: starting Prefect server at {server.api_url} (home {home})", file=sys.stderr)
        server.wait_healthy()
        os.environ["PREFECT_API_URL"] = server.api_url
        os.environ.setdefault("PREFECT_HOME", str(home))
        yield server.api_url
    finally:
        server.stop()
        print("yuqing serve: Prefect server stopped", file=sys.stderr)


def build_deployments(specs: list[DeploymentSpec], db: Path) -> list[Any]:
    """RunnerDeployments for ``prefect.serve``, named like the prefect.yaml deployments."""
    import importlib

    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron, Interval

    now = datetime.now(UTC)
    deployments = []
    for spec in specs:
        module, attr = spec.module_and_attr
        flow = getattr(importlib.import_module(module), attr)
        schedules = [
            Cron(s.cron, timezone=s.timezone)
            if s.cron
            else Interval(timedelta(seconds=s.interval_seconds or 60), anchor_date=now, timezone=s.timezone)
            for s in spec.schedules
        ]
        limit: int | ConcurrencyLimitConfig | None = spec.concurrency_limit
        if spec.concurrency_limit and spec.collision_strategy:
            limit = ConcurrencyLimitConfig(
                limit=spec.concurrency_limit,
                collision_strategy=ConcurrencyLimitStrategy(spec.collision_strategy),
            )
        deployments.append(
            flow.to_deployment(
                name=spec.name,
                schedules=schedules,
                parameters=serve_parameters(spec, db, os.environ),
                concurrency_limit=limit,
                tags=["yuqing", "serve"],
                # Runs import the flow by module (the installed package), whatever the working directory.
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return deployments


def serve(db: Path) -> int:
    """``yuqing serve``: serve the deployments of prefect.yaml until Ctrl-C or SIGTERM."""
    specs = apply_schedule_override(
        load_deployments(prefect_yaml_path()), Settings.of().SERVE_SCHEDULE_OVERRIDE
    )
    # Until the runner installs its own handler, SIGTERM unwinds like Ctrl-C (the server gets stopped).
    previous = signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        with prefect_api(db):
            import prefect

            from flows.common import ensure_warehouse_limit
            from flows.recovery import recover_host

            ensure_warehouse_limit()
            # Runs a killed serve left RUNNING would hold their deployments' slots for five minutes.
            for stale in recover_host("yuqing serve starting"):
                print(f"yuqing serve: flow run {stale.name!r} was left RUNNING: marked Crashed ({stale.reason})",
                      file=sys.stderr)  # fmt: skip
            deployments = build_deployments(specs, db)
            for spec in specs:
                when = (
                    ", ".join(s.cron or f"every {s.interval_seconds:g} s" for s in spec.schedules)
                    or "no schedule"
                )
                print(f"yuqing serve: {spec.name}: {when} ({spec.schedules[0].timezone if spec.schedules else ''})",
                      file=sys.stderr)  # fmt: skip
            prefect.serve(*deployments)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
