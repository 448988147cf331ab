-- v_topic_daily: per day (Asia/Shanghai) and topic: items published, events opened, responses linked.
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
)
SELECT day, topic,
       coalesce(it.items, 0) AS items,
       coalesce(ev.events_opened, 0) AS events_opened,
       coalesce(rs.responses, 0) AS responses
FROM it FULL OUTER JOIN ev USING (day, topic) FULL OUTER JOIN rs USING (day, topic)
ORDER BY day, topic;
