-- v_events: one row per event; severity = the analyst's override when there is one, else the
-- proposed one; heat and status are as of the last track run (runs.kind = 'track').
-- status: dismissed (an analyst's word, dismissed_as_of) > overdue (a milestone overdue) > pending (a milestone
-- open) > met_late > met.
CREATE OR REPLACE VIEW v_events AS
WITH last_run AS (
    SELECT coalesce(max(as_of), TIMESTAMPTZ '1970-01-01 00:00:00+00') AS as_of
    FROM runs WHERE kind = 'track' AND status = 'ok'
), override AS (
    SELECT event_id, severity FROM severity_overrides_as_of()
), dismissed AS (
    SELECT event_id, dismissed_at FROM dismissed_as_of(now())
), recent AS (
    SELECT ei.event_id,
           count(*) FILTER (WHERE i.item_time > r.as_of - INTERVAL 6 HOUR AND i.item_time <= r.as_of) AS items_6h,
           count(*) FILTER (WHERE i.item_time > r.as_of - INTERVAL 24 HOUR AND i.item_time <= r.as_of) AS items_24h
    FROM event_items AS ei JOIN items AS i USING (item_id) CROSS JOIN last_run AS r
    GROUP BY ei.event_id
), ms AS (
    SELECT m.event_id,
           CASE
               WHEN bool_or(m.met_at IS NULL AND r.as_of > m.deadline_at) THEN 'overdue'
               WHEN bool_or(m.met_at IS NULL) THEN 'pending'
               WHEN bool_or(m.met_at > m.deadline_at) THEN 'met_late'
               ELSE 'met'
           END AS status
    FROM milestones AS m CROSS JOIN last_run AS r
    GROUP BY m.event_id
)
SELECT
    e.event_id,
    e.title,
    e.topics,
    e.region_code,
    e.region_name,
    coalesce(o.severity, e.severity_proposed) AS severity,
    e.severity_proposed,
    o.severity AS severity_override,
    e.started_at,
    e.first_detected_at,
    e.last_item_at,
    e.item_count,
    e.source_count,
    coalesce(rc.items_6h, 0) AS items_6h,
    coalesce(rc.items_24h, 0) AS items_24h,
    -- yuqing.track.model.heat: item_count + 2·sources + 2·items_24h + 4·items_6h
    (e.item_count + 2 * e.source_count + 2 * coalesce(rc.items_24h, 0) + 4 * coalesce(rc.items_6h, 0))::DOUBLE AS heat,
    CASE WHEN d.event_id IS NOT NULL THEN 'dismissed' ELSE coalesce(ms.status, 'pending') END AS status,
    e.opening_item_id,
    e.started_at AT TIME ZONE 'Asia/Shanghai' AS started_at_local,
    e.clock_basis,      -- why the clock starts at started_at: «stated …» (an item states the time) or earliest report
    e.severity_basis,   -- counts reported (at or under the thresholds), or the reports' wording
    d.dismissed_at      -- when an analyst dismissed it (yuqing dismiss), while the dismissal holds
FROM events AS e
LEFT JOIN override AS o USING (event_id)
LEFT JOIN recent AS rc USING (event_id)
LEFT JOIN ms USING (event_id)
LEFT JOIN dismissed AS d USING (event_id);
