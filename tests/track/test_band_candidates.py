"""``warehouse.events.band_candidates``: which stored reports a track run reads back for its new ones."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from tests.track import helpers
from warehouse import events as sql
from yuqing.track.grouping import LOCALITY_BANDS, NUM_KEYS


def test_an_estates_report_weeks_back_is_read_though_a_busy_week_fills_the_other_buckets() -> None:
    """70 stored reports this week share a wording bucket with the new one, and one 40 days back shares its estate's
    bucket: the busy week fills the 64 nearest of the window's buckets, and the estate's report is still read, from
    the buckets that reach as far back as a matter may be raised again, which the window's do not."""
    busy = [helpers.item(f"w{n}", f"某小区噪音扰民{n}", 24 * 40 - n) for n in range(70)]
    old = helpers.item("old", "枫林绿洲小区旁搅拌站噪音扰民", 0)
    new = helpers.item("new", "枫林绿洲小区旁搅拌站噪音至今未解决", 24 * 40 + 1)
    keys = np.zeros((72, NUM_KEYS), dtype=np.uint64)
    keys[:70, 0] = 11  # a wording bucket the week shares
    keys[70, LOCALITY_BANDS] = 22  # the estate's bucket
    with helpers.warehouse() as wh:
        helpers.store(wh, [*busy, old])
        sql.write_bands(wh.con, [*busy, old], keys[:71])
        mine = np.zeros((1, NUM_KEYS), dtype=np.uint64)
        mine[0, 0], mine[0, LOCALITY_BANDS] = 11, 22
        window = 7 * 24.0
        read = sql.band_candidates(wh.con, [new.item_time], mine, window, long_from=LOCALITY_BANDS, long_hours=60 * 24.0)
        assert "old" in read and len(read) == 65
        # with the window alone, the estate's report is out of reach
        assert "old" not in sql.band_candidates(wh.con, [new.item_time], mine, window)
        assert new.item_time - old.item_time > timedelta(hours=window)
