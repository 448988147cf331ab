-- v_milestones: every event's milestones with status as of the last track run:
-- pending | met | met_late | overdue (yuqing.track.deadlines.status), or dismissed: unanswered, of an event an
-- analyst has dismissed (dismissed_as_of; a dismissal applies at once, not from the next track run).
CREATE OR REPLACE VIEW v_milestones AS
WITH last_run AS (
    SELECT coalesce(max(as_of), TIMESTAMPTZ '1970-01-01 00:00:00+00') AS as_of
    FROM runs WHERE kind = 'track' AND status = 'ok'
), dismissed AS (
    SELECT event_id FROM dismissed_as_of(now())
)
SELECT
    m.event_id,
    m.milestone,
    m.rule_id,
    m.rule_version,
    m.source_document,
    m.started_at,
    m.deadline_at,
    CASE
        WHEN m.met_at IS NOT NULL AND m.met_at <= m.deadline_at THEN 'met'
        WHEN m.met_at IS NOT NULL THEN 'met_late'
        WHEN m.event_id IN (SELECT event_id FROM dismissed) THEN 'dismissed'
        WHEN r.as_of > m.deadline_at THEN 'overdue'
        ELSE 'pending'
    END AS status,
    m.met_at,
    m.met_by_item_id,
    m.reported,
    m.evidence,
    r.as_of AS status_as_of
FROM milestones AS m CROSS JOIN last_run AS r;
