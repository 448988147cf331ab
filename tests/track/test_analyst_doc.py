"""Every ```sql block of docs/analyst.md runs against a populated warehouse."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from yuqing.track.run import run_track

from .helpers import T0, item, store, warehouse

DOC = Path(__file__).resolve().parents[2] / "docs" / "analyst.md"
BLOCKS = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_doc_has_queries() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("sql", BLOCKS, ids=[f"block{k}" for k in range(len(BLOCKS))])
def test_analyst_query_runs(sql: str) -> None:
    # wage arrears in 东莞 last month (May 2021), answered after 60 h; a Hubei explosion this month
    may = -30 * 24
    items = [
        item("w1", "东莞某工地数十名农民工讨薪无果，包工头失联", may, topics=("wage_arrears",), region="441900"),
        item("w2", "记者从东莞市人社局获悉：工地农民工讨薪 包工头失联一事已立案", may + 61, source="m3",
             topics=("wage_arrears",), region="441900", reported_response=True),
        item("m1", "十堰市张湾区艳湖社区集贸市场发生燃气爆炸事故", 0, severity="major_emergency"),
    ]
    with warehouse() as wh:
        store(wh, items)
        run_track(wh, T0 + timedelta(hours=30))
        rows = wh.con.execute(sql).fetchall()
        if "wage_arrears" in sql:
            assert [r[1][:2] for r in rows] == ["东莞"]
