-- v_response_times: per event, topic and milestone, how long the first qualifying response took.
-- One row per topic of a multi-topic event; hours_to_response is NULL while unanswered.
CREATE OR REPLACE VIEW v_response_times AS
SELECT
    m.event_id,
    t.topic,
    e.region_code AS region,
    e.region_name,
    m.milestone,
    m.status,
    e.started_at,
    m.met_at,
    m.reported,
    date_diff('second', e.started_at, m.met_at) / 3600.0 AS hours_to_response,
    coalesce(m.met_at <= e.started_at + INTERVAL 24 HOUR, false) AS within_24h,
    coalesce(m.met_at <= e.started_at + INTERVAL 48 HOUR, false) AS within_48h
FROM v_milestones AS m
JOIN events AS e USING (event_id)
CROSS JOIN unnest(e.topics) AS t(topic);
