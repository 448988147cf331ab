-- v_overdue: one row per overdue (event, milestone) as of the last track run, with what an analyst
-- needs to act: place, rule, how late, the links of the event's items, and why its opening item opened it.
-- (For another as_of use yuqing.track.run.overdue / `yuqing overdue --as-of`.)
-- The overdue milestones are picked first; item links are gathered only for their events.
CREATE OR REPLACE VIEW v_overdue AS
WITH late AS (
    SELECT * FROM v_milestones WHERE status = 'overdue'
), override AS (
    SELECT event_id, severity
    FROM severity_overrides
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY "at" DESC) = 1
), urls AS (
    SELECT ei.event_id, list(i.url ORDER BY i.item_time, i.item_id) FILTER (WHERE i.url IS NOT NULL) AS item_urls
    FROM event_items AS ei
    JOIN items AS i USING (item_id)
    SEMI JOIN late AS l ON l.event_id = ei.event_id
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
    CASE WHEN op.issue THEN op.evidence -> 'issue' WHEN NOT op.issue THEN '[]'::JSON END AS opened_by
FROM late AS m
JOIN events AS e USING (event_id)
LEFT JOIN items AS op ON op.item_id = e.opening_item_id
LEFT JOIN override AS o USING (event_id)
LEFT JOIN urls AS u USING (event_id);
