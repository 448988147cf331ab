"""The analysts' shell opens the snapshot as it is: the pinned DuckDB CLI (`.venv/bin/duckdb`, duckdb-cli 1.5.6)
runs the commands of docs/analyst-access.md verbatim against a snapshot the pipeline published."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pipeline.conftest import AS_OF, SAMPLES, write_sources
from yuqing.feedserver import FeedServer

ROOT = Path(__file__).resolve().parents[1]
SHELL = Path(sys.executable).parent / "duckdb"


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("analyst")
    with FeedServer(SAMPLES / "feeds") as server:
        sources = write_sources(tmp / "sources.toml", server.base_url)
        for args in (("ingest", "--sources", str(sources)), ("track",)):
            proc = subprocess.run([sys.executable, "-m", "yuqing.cli", "--db", str(tmp / "yuqing.duckdb"), *args,
                                   "--as-of", AS_OF.isoformat()], capture_output=True, text=True, timeout=300)  # fmt: skip
            assert proc.returncode == 0, proc.stderr
    assert (tmp / "yuqing.snapshot.duckdb").exists()
    yield tmp


def doc_commands() -> list[str]:
    text = (ROOT / "docs" / "analyst-access.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.startswith(".venv/bin/duckdb")]


def test_the_pinned_shell_reads_the_snapshot_and_the_documented_commands_run(snapshot_dir: Path) -> None:
    assert SHELL.exists(), "duckdb-cli is a dependency: make installs .venv/bin/duckdb"
    commands = doc_commands()
    assert len(commands) >= 4
    for command in commands:
        argv = shlex.split(command)
        argv[0] = str(SHELL)
        if len(argv) == 3:  # the interactive form: give it a statement on stdin
            proc = subprocess.run(argv, input="SELECT count(*) FROM v_items;\n", capture_output=True, text=True,
                                  cwd=snapshot_dir, timeout=120, env=dict(os.environ))  # fmt: skip
        else:
            proc = subprocess.run(argv, capture_output=True, text=True, cwd=snapshot_dir, timeout=120, env=dict(os.environ))
        assert proc.returncode == 0, (command, proc.stderr)
        if "count(*) FROM v_items" in command or len(argv) == 3:
            assert re.search(r"\b\d{3}\b", proc.stdout), proc.stdout  # hundreds of items
    assert (snapshot_dir / "export-parquet" / "schema.sql").exists()
    assert (snapshot_dir / "events.csv").read_text(encoding="utf-8").startswith("event_id,")
    assert (snapshot_dir / "items.parquet").stat().st_size > 0
