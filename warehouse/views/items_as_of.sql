-- items_as_of(ts): the items that existed for a step run with as_of = ts (docs/design.md "Time"):
-- neither published after ts nor fetched after it.
--   SELECT * FROM items_as_of(TIMESTAMPTZ '2024-05-01 12:00:00+08');
CREATE OR REPLACE MACRO items_as_of(ts) AS TABLE
    SELECT * FROM items WHERE item_time <= ts AND fetched_at <= ts;
