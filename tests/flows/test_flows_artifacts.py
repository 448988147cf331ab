"""``python -m flows.artifacts`` renders tables for a terminal (the real path: tests/flows/test_flows_deploy.py)."""

from __future__ import annotations

from flows.artifacts import render_table, width


def test_cjk_cells_count_two_columns_and_the_columns_line_up() -> None:
    text = render_table([{"source": "中国政府网", "status": "new"}, {"source": "abc", "status": "timeout"}])
    lines = text.splitlines()
    assert lines[0].startswith("source      status")
    assert lines[2] == "中国政府网  new"
    assert lines[3] == "abc         timeout"
    assert width(lines[2].split("  ")[0]) == width("source    ") == 10


def test_long_cells_are_cut_and_an_empty_table_says_so() -> None:
    assert render_table([]) == "(empty table)"
    text = render_table([{"error": "x" * 100}], max_cell=10)
    assert text.splitlines()[2] == "x" * 9 + "…"
