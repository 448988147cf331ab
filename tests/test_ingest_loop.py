"""The one ingest loop (``yuqing.ingest.run_groups``) that the CLI and the flow both run: groups are stored in
order, at most ``ahead`` more are on the wire, and sources without items wait for the next group with items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from yuqing.ingest import FetchJob, Started, run_groups
from yuqing.models import FetchOutcome, SourceConfig, SourceResult, SourceState
from yuqing.reports import SourceRow


def _job(name: str) -> FetchJob:
    return FetchJob(SourceConfig(name, f"https://{name}.example.cn/rss"), SourceState(name), request=None)


def _result(name: str, items: int) -> SourceResult:
    # The loop looks only at whether a result has items: stand-ins will do.
    stand_ins: list[Any] = [object()] * items
    status = FetchOutcome.NEW if items else FetchOutcome.NOT_MODIFIED
    return SourceResult(name, SourceState(name), status, items=stand_ins, tags=list(stand_ins))


class _Recorder:
    """Fetches whose results say how many items each source brought (the number in its name)."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def start(self, group: Sequence[FetchJob]) -> Started:
        names = [job.source.name for job in group]
        self.log.append(f"start {'+'.join(names)}")
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)

        def wait() -> list[SourceResult]:
            self.in_flight -= 1
            self.log.append(f"wait {'+'.join(names)}")
            return [_result(n, int(n[-1])) for n in names]

        return wait

    def store(self, results: list[SourceResult]) -> list[SourceRow]:
        self.log.append(f"store {'+'.join(r.source for r in results)}")
        return [SourceRow(r.source, str(r.status), len(r.items), len(r.items), 0, None, None, None) for r in results]


@pytest.mark.parametrize("ahead", [1, 4])
def test_groups_are_stored_in_order_and_sources_without_items_wait(ahead: int) -> None:
    groups = [[_job("a0"), _job("b0")], [_job("c2")], [_job("d0")], [_job("e0"), _job("f1")], [_job("g0")]]
    run = _Recorder()
    rows = run_groups(groups, run.start, run.store, ahead=ahead)
    assert [r.source for r in rows] == ["a0", "b0", "c2", "d0", "e0", "f1", "g0"]
    stores = [line for line in run.log if line.startswith("store")]
    # a0 and b0 (304s) go with c2's items; d0 with e0 and f1; g0, the last, in a store of its own
    assert stores == ["store a0+b0+c2", "store d0+e0+f1", "store g0"]
    assert run.most_in_flight == ahead + 1
    # the next group is started before the current one is waited for
    assert run.log.index("start c2") < run.log.index("wait a0+b0")


def test_no_groups_store_nothing() -> None:
    run = _Recorder()
    assert run_groups([], run.start, run.store) == [] and run.log == []


def test_a_failing_fetch_stops_the_loop_before_its_group_is_stored() -> None:
    run = _Recorder()

    def start(group: Sequence[FetchJob]) -> Started:
        wait = run.start(group)
        if group[0].source.name == "b1":

            def broken() -> list[SourceResult]:
                raise ConnectionError("fetch task failed")

            return broken
        return wait

    with pytest.raises(ConnectionError):
        run_groups([[_job("a1")], [_job("b1")], [_job("c1")]], start, run.store)
    assert [line for line in run.log if line.startswith("store")] == ["store a1"]
