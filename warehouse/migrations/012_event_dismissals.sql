-- 012_event_dismissals: an analyst's word that an event needs no answer (`yuqing dismiss`): the item that opened
-- it raises no matter a government body must answer, whatever the classifier judged. One row per decision, kept
-- as a log; the latest row of an event at or before a time decides (dismissed = false takes a dismissal back).
-- A dismissal covers the event's members when it was made: a member that is an issue and not among them (a new
-- report of the incident) reopens the event (the dismissed_as_of macro, warehouse/views/dismissed_as_of.sql).

CREATE TABLE event_dismissals (
    event_id    VARCHAR NOT NULL,
    dismissed   BOOLEAN NOT NULL,
    covers      VARCHAR[] NOT NULL,      -- items.item_id of the event's members when the decision was made
    analyst     VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    "at"        TIMESTAMPTZ NOT NULL,    -- when it takes effect: as_of of the flags it changes
    recorded_at TIMESTAMPTZ NOT NULL     -- wall clock when it was recorded
);
