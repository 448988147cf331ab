"""The settings object is the one reader of YUQING_* variables, and docs/ops.md lists exactly its fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from yuqing.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("yuqing", "sources", "classifiers", "warehouse", "flows")


def _documented() -> set[str]:
    text = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    table = text[text.index("## Environment") :]
    table = table[: table.index("\n\n", table.index("| variable"))]
    return set(re.findall(r"`(YUQING_[A-Z_]+)`", table))


def test_the_environment_table_lists_every_setting_and_nothing_else() -> None:
    assert _documented() == set(Settings.names())


def test_no_module_reads_a_yuqing_variable_from_the_environment_itself() -> None:
    reader = re.compile(r"""(environ\.get\(|environ\[|getenv\()\s*["']YUQING_""")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if reader.search(line)
    ]
    assert offenders == []


def test_settings_come_from_the_process_environment_or_only_from_the_mapping_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("YUQING_DB", "/srv/yuqing/a.duckdb")
    monkeypatch.setenv("YUQING_SMTP_PASSWORD", " spaces kept ")
    monkeypatch.delenv("YUQING_ROUTES", raising=False)
    here = Settings.of()
    assert here.DB == "/srv/yuqing/a.duckdb"
    assert here.SMTP_PASSWORD == " spaces kept "
    assert here.ROUTES is None
    given = Settings.of({"YUQING_ROUTES": "routes.toml", "HOME": "/root"})
    assert given.ROUTES == "routes.toml"
    assert given.DB is None  # the process environment is not read behind the mapping
    assert given.environ() == {"YUQING_ROUTES": "routes.toml"}
    assert "spaces kept" not in repr(here)


def test_the_cli_reads_its_paths_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from yuqing.cli import main

    missing = tmp_path / "nowhere.duckdb"
    monkeypatch.setenv("YUQING_DB", str(missing))
    # `overdue` only reads: pointed at a missing file through YUQING_DB it refuses, naming that file.
    assert main(["overdue"]) == 2
    assert f"no warehouse at {missing}" in capsys.readouterr().err
    assert not missing.exists()
