-- Analysts' dismissals (`yuqing dismiss`) as of a time, in two table macros:
-- dismissals_as_of(ts): per event with a decision at or before ts, the latest one (dismissed, analyst, reason,
-- dismissed_at, the members it covers) and whether it holds: it dismisses, and every member that is an issue and existed at ts is one it
-- covered (a new report of the incident reopens the event: dismissed and not holds).
-- dismissed_as_of(ts): the events whose dismissal holds at ts. Such an event is flagged neither overdue nor due, raises
-- no alert and is left out of the digest.
--   SELECT * FROM dismissed_as_of(now());
CREATE OR REPLACE MACRO dismissals_as_of(ts) AS TABLE
    WITH latest AS (
        SELECT event_id, dismissed, covers, "at", analyst, reason
        FROM event_dismissals
        WHERE "at" <= ts
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY "at" DESC, recorded_at DESC) = 1
    ), reopened AS (
        SELECT DISTINCT l.event_id
        FROM latest AS l
        JOIN event_items AS ei ON ei.event_id = l.event_id
        JOIN items AS i ON i.item_id = ei.item_id
        WHERE l.dismissed AND i.issue AND i.item_time <= ts AND i.fetched_at <= ts
          AND NOT list_contains(l.covers, ei.item_id)
    )
    SELECT l.event_id, l.dismissed, l.dismissed AND l.event_id NOT IN (SELECT event_id FROM reopened) AS holds,
           l."at" AS dismissed_at, l.analyst, l.reason, l.covers
    FROM latest AS l;

CREATE OR REPLACE MACRO dismissed_as_of(ts) AS TABLE
    SELECT event_id, dismissed_at, analyst, reason FROM dismissals_as_of(ts) WHERE holds;
