-- dismissed_as_of(ts): the events an analyst had dismissed as of ts (`yuqing dismiss`) that stay dismissed: the
-- event's latest decision at or before ts dismisses it, and every member that is an issue and existed at ts is one
-- the decision covered (a new report of the incident reopens the event). A dismissed event is flagged neither
-- overdue nor due, raises no alert and is left out of the digest.
--   SELECT * FROM dismissed_as_of(now());
CREATE OR REPLACE MACRO dismissed_as_of(ts) AS TABLE
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
    SELECT l.event_id, l."at" AS dismissed_at, l.analyst, l.reason
    FROM latest AS l
    WHERE l.dismissed AND l.event_id NOT IN (SELECT event_id FROM reopened);
