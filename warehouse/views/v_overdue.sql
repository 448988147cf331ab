-- v_overdue: one row per overdue (event, milestone) as of the last track run, with what an analyst
-- needs to act: place, rule, how late, the links of the event's items, and why its opening item opened it.
-- (For another as_of use yuqing.track.run.overdue / `yuqing overdue --as-of`.)
-- The overdue milestones are picked first; item links are gathered only for their events.
CREATE OR REPLACE VIEW v_overdue AS
WITH late AS (
    SELECT * FROM v_milestones WHERE status = 'overdue'
), override AS (
    SELECT event_id, severity FROM severity_overrides_as_of()
), late_events AS (
    SELECT e.event_id, e.opening_item_id FROM events AS e SEMI JOIN late AS l ON l.event_id = e.event_id
), urls AS (
    -- the opening item is one of the event's items: why it opened the event is read in the same pass
    SELECT ei.event_id, list(i.url ORDER BY i.item_time, i.item_id) FILTER (WHERE i.url IS NOT NULL) AS item_urls,
           any_value(CASE WHEN i.issue THEN i.evidence -> 'issue' WHEN NOT i.issue THEN '[]'::JSON END)
               FILTER (WHERE i.item_id = le.opening_item_id) AS opened_by
    FROM event_items AS ei
    JOIN items AS i USING (item_id)
    JOIN late_events AS le ON le.event_id = ei.event_id
    GROUP BY ei.event_id
)
SELECT
    m.event_id,
    m.milestone,
    m.deadline_at,
    m.status_as_of - m.deadline_at AS overdue_by,
    coalesce(o.severity, e.severity_proposed) AS severity,
    e.topics,
    e.region_code,
    e.region_name,
    e.title,
    e.started_at,
    coalesce(u.item_urls, []::VARCHAR[]) AS item_urls,
    m.rule_id,
    m.rule_version,
    m.source_document,
    m.status_as_of,
    u.opened_by
FROM late AS m
JOIN events AS e USING (event_id)
LEFT JOIN override AS o USING (event_id)
LEFT JOIN urls AS u USING (event_id);
