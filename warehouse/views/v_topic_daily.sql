-- v_topic_daily: per day (Asia/Shanghai) and topic: items published, events opened, responses linked. Every day
-- from the first to the last day with data, for every topic of dim_topics (and any other topic seen), zeros
-- included, so a moving average or a chart has no gaps.
CREATE OR REPLACE VIEW v_topic_daily AS
WITH it AS (
    SELECT (i.item_time AT TIME ZONE 'Asia/Shanghai')::DATE AS day, t.topic, count(*) AS items
    FROM items AS i JOIN item_topics AS t USING (item_id)
    GROUP BY ALL
), ev AS (
    SELECT (e.started_at AT TIME ZONE 'Asia/Shanghai')::DATE AS day, u.topic, count(*) AS events_opened
    FROM events AS e CROSS JOIN unnest(e.topics) AS u(topic)
    GROUP BY ALL
), rs AS (
    SELECT (r.responded_at AT TIME ZONE 'Asia/Shanghai')::DATE AS day, u.topic, count(*) AS responses
    FROM responses AS r JOIN events AS e USING (event_id) CROSS JOIN unnest(e.topics) AS u(topic)
    GROUP BY ALL
), seen AS (
    SELECT day, topic FROM it UNION SELECT day, topic FROM ev UNION SELECT day, topic FROM rs
), days AS (
    SELECT unnest(generate_series(min(day), max(day), INTERVAL 1 DAY))::DATE AS day FROM seen
), topics AS (
    SELECT slug AS topic FROM dim_topics UNION SELECT DISTINCT topic FROM seen
)
SELECT d.day, t.topic,
       coalesce(it.items, 0) AS items,
       coalesce(ev.events_opened, 0) AS events_opened,
       coalesce(rs.responses, 0) AS responses
FROM days AS d CROSS JOIN topics AS t
LEFT JOIN it ON it.day = d.day AND it.topic = t.topic
LEFT JOIN ev ON ev.day = d.day AND ev.topic = t.topic
LEFT JOIN rs ON rs.day = d.day AND rs.topic = t.topic
ORDER BY d.day, t.topic;
