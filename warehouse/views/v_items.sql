-- v_items: one row per item with its topics, times in UTC and in Asia/Shanghai for display.
CREATE OR REPLACE VIEW v_items AS
SELECT
    i.item_id,
    i.source,
    s.official AS source_official,
    i.title,
    i.summary,
    i.author,
    i.url,
    coalesce(t.topics, []::VARCHAR[]) AS topics,
    i.severity,
    i.region_code,
    i.region_name,
    i.official_response,
    i.reported_response,
    i.response_kinds,
    i.issue,
    i.item_time,
    i.published_at,
    i.fetched_at,
    i.first_seen_at,
    i.updated_at,
    i.item_time AT TIME ZONE 'Asia/Shanghai' AS item_time_local,
    i.published_at AT TIME ZONE 'Asia/Shanghai' AS published_at_local,
    i.fetched_at AT TIME ZONE 'Asia/Shanghai' AS fetched_at_local,
    i.classifier_version,
    i.evidence,
    i.content_hash,
    i.guid
FROM items AS i
LEFT JOIN sources AS s ON s.name = i.source
LEFT JOIN (
    SELECT item_id, list(topic ORDER BY topic) AS topics
    FROM item_topics
    GROUP BY item_id
) AS t ON t.item_id = i.item_id;
