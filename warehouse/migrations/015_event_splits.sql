-- 015_event_splits: an analyst's word that reports the grouper joined are two matters (`yuqing split`): the reports
-- taken out leave the event. One row per decision, kept as a log; split = false takes it back (`yuqing split
-- --undo`). While the latest row of a split_id splits, no event holds both its items and its rest in any track run.

CREATE TABLE event_splits (
    split_id    VARCHAR NOT NULL,        -- one split and its undo share it
    split       BOOLEAN NOT NULL,
    event_id    VARCHAR NOT NULL,        -- the event split (on an undo, an event its reports were in)
    items       VARCHAR[] NOT NULL,      -- items.item_id of the reports taken out: another matter
    rest        VARCHAR[] NOT NULL,      -- the event's other reports then: kept apart from them
    analyst     VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL     -- wall clock when it was recorded; the latest per split_id decides
);
