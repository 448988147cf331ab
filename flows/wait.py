"""Wait for a flow run to finish by reading its state from the API.

    run=$(prefect deployment run ingest/ingest | sed -n 's/.*UUID: *//p')
    python -m flows.wait "$run" --timeout 300

``prefect deployment run --watch`` follows a run through the server's event stream. On a busy server with SQLite,
a locked database can hold back the event of the final state, and the watch then waits out its timeout although
the run has finished. This reads the run's state every ``--every`` seconds instead, and prints each new state.
Exit status: 0 when the run completed; 1 when it ended otherwise (failed, crashed, cancelled); 2 when
``--timeout`` passed first.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from uuid import UUID

TIMED_OUT = 2


def wait(read_state: Callable[[], tuple[str, bool | None]], timeout: float, every: float,
         say: Callable[[str], None] = print, clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> int:  # fmt: skip
    """Poll ``read_state`` until the run is final or ``timeout`` has passed; the exit status. ``read_state`` gives
    the state's name and the outcome: None while the run is not final, True for completed, False otherwise."""
    deadline = clock() + timeout
    last = None
    while True:
        name, outcome = read_state()
        if name != last:
            say(name)
            last = name
        if outcome is not None:
            return 0 if outcome else 1
        if clock() >= deadline:
            say(f"still {name} after {timeout:g} s")
            return TIMED_OUT
        sleep(every)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows.wait", description=__doc__.split("\n\n")[0])
    ap.add_argument("flow_run_id", type=UUID, help="the run's id (prefect deployment run prints it as UUID)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds to wait at most (default 300)")
    ap.add_argument("--every", type=float, default=2, help="seconds between reads (default 2)")
    args = ap.parse_args(argv)

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:

        def read_state() -> tuple[str, bool | None]:
            state = client.read_flow_run(args.flow_run_id).state
            if state is None:
                return "(no state)", None
            return state.name or state.type.value, (state.is_completed() if state.is_final() else None)

        return wait(
            read_state, args.timeout, args.every, say=lambda s: print(f"flow run {args.flow_run_id}: {s}")
        )


if __name__ == "__main__":
    sys.exit(main())
