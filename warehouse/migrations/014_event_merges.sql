-- 014_event_merges: an analyst's word that events are one incident (`yuqing merge`): the grouper kept apart reports
-- of one incident (two outlets' wordings, two places read). One row per decision, kept as a log; merged = false takes
-- a merge back (`yuqing merge --undo`). While the latest row of a merge_id merges, its items are one event in every
-- track run, as the members of a stored event are.

CREATE TABLE event_merges (
    merge_id    VARCHAR NOT NULL,        -- one merge and its undo share it
    merged      BOOLEAN NOT NULL,
    event_ids   VARCHAR[] NOT NULL,      -- the events merged, as they were when it was decided
    items       VARCHAR[] NOT NULL,      -- items.item_id of their members then: kept as one event
    event_id    VARCHAR NOT NULL,        -- the event they became (the earliest report opens it)
    analyst     VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL     -- wall clock when it was recorded; the latest per merge_id decides
);
