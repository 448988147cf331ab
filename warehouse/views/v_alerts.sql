-- v_alerts: the urgent-alert ledger with each event's title and region, newest first; the failed and
-- stuck ones are what ops look at (state failed / gave_up / in_doubt).
CREATE OR REPLACE VIEW v_alerts AS
SELECT
    a.event_id,
    e.title,
    e.region_name,
    a.milestone,
    a.condition,
    a.route,
    a.channel,
    a.state,
    a.raised_as_of,
    a.raised_as_of AT TIME ZONE 'Asia/Shanghai' AS raised_local,
    a.deadline_at,
    a.deadline_at AT TIME ZONE 'Asia/Shanghai' AS deadline_local,
    a.attempts,
    a.next_try_at,
    a.sent_at,
    a.message_key,
    a.error,
    a.summary
FROM alerts AS a
LEFT JOIN events AS e USING (event_id);
