"""``python -m flows.wait``'s decider, with a fake clock (the real path: the runbook in tests/flows/test_flows_deploy.py)."""

from __future__ import annotations

from flows.wait import TIMED_OUT, wait


class Fake:
    def __init__(self, states: list[tuple[str, bool | None]]) -> None:
        self.states = states
        self.now = 0.0
        self.said: list[str] = []

    def read(self) -> tuple[str, bool | None]:
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def run(self, timeout: float = 10, every: float = 2) -> int:
        return wait(self.read, timeout, every, say=self.said.append, clock=lambda: self.now, sleep=self.sleep)


def test_a_completed_run_exits_0_and_each_state_is_said_once() -> None:
    fake = Fake(
        [("Scheduled", None), ("Pending", None), ("Running", None), ("Running", None), ("Completed", True)]
    )
    assert fake.run() == 0
    assert fake.said == ["Scheduled", "Pending", "Running", "Completed"]
    assert fake.now == 8  # four waits of 2 s


def test_a_run_that_ended_otherwise_exits_1() -> None:
    assert Fake([("Running", None), ("Crashed", False)]).run() == 1
    assert Fake([("Failed", False)]).run() == 1


def test_a_run_still_going_at_the_timeout_exits_2() -> None:
    fake = Fake([("Running", None)])
    assert fake.run(timeout=5, every=2) == TIMED_OUT
    assert fake.said == ["Running", "still Running after 5 s"]
    assert fake.now == 6
