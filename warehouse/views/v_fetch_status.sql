-- v_fetch_status: the latest fetch of every configured source, with its counts and what is stored.
CREATE OR REPLACE VIEW v_fetch_status AS
WITH latest AS (
    SELECT *
    FROM fetch_log
    QUALIFY row_number() OVER (PARTITION BY source ORDER BY as_of DESC, run_id DESC) = 1
), stored AS (
    SELECT source, count(*) AS items_stored, max(item_time) AS last_item_time
    FROM items
    GROUP BY source
)
SELECT
    s.name AS source,
    s.official,
    l.run_id,
    l.as_of,
    l.as_of AT TIME ZONE 'Asia/Shanghai' AS as_of_local,
    l.status,
    l.disposition,
    l.http_status,
    l.error,
    l.items_seen,
    l.items_new,
    l.items_updated,
    l.charset_declared,
    l.charset_used,
    l.bytes,
    l.elapsed_ms,
    coalesce(st.items_stored, 0) AS items_stored,
    st.last_item_time
FROM sources AS s
LEFT JOIN latest AS l ON l.source = s.name
LEFT JOIN stored AS st ON st.source = s.name;
