-- v_event_items: each event's member items with how the classifier tagged them and why (topics with their terms
-- and rule, issue and response evidence), in time order, times also in Asia/Shanghai.
CREATE OR REPLACE VIEW v_event_items AS
SELECT
    ei.event_id,
    i.item_id,
    i.source,
    i.title,
    i.url,
    i.item_time,
    i.item_time AT TIME ZONE 'Asia/Shanghai' AS item_time_local,
    ti.role,
    ti.incident_at,
    i.issue,
    i.severity,
    i.region_code,
    i.region_name,
    i.official_response,
    i.reported_response,
    coalesce(t.topic_evidence, []) AS topic_evidence,
    i.evidence,
    i.classifier_version
FROM event_items AS ei
JOIN items AS i USING (item_id)
LEFT JOIN track_items AS ti USING (item_id)
LEFT JOIN (
    SELECT item_id, list({'topic': topic, 'rule': rule, 'score': score, 'terms': terms} ORDER BY topic) AS topic_evidence
    FROM item_topics
    GROUP BY item_id
) AS t USING (item_id);
