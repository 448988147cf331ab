-- v_source_health: one row per source for ops: fetch history, failures, backoff and a short verdict.
-- Outcomes new / unchanged / not_modified are successful fetches; skipped_backoff was not attempted.
CREATE OR REPLACE VIEW v_source_health AS
WITH hist AS (
    SELECT
        source,
        count(*) FILTER (WHERE status <> 'skipped_backoff') AS fetches,
        count(*) FILTER (WHERE status IN ('new', 'unchanged', 'not_modified')) AS fetches_ok,
        count(*) FILTER (WHERE status NOT IN ('new', 'unchanged', 'not_modified', 'skipped_backoff'))
            AS fetches_failed,
        max(as_of) FILTER (WHERE status IN ('new', 'unchanged', 'not_modified')) AS last_ok_at,
        max(as_of) FILTER (WHERE status = 'new') AS last_new_at,
        max(as_of) AS last_attempt_at
    FROM fetch_log
    GROUP BY source
)
SELECT
    s.name AS source,
    s.url,
    s.official,
    s.region,
    s.last_status,
    s.last_error,
    s.consecutive_failures,
    s.backoff_until,
    s.etag IS NOT NULL OR s.last_modified IS NOT NULL AS conditional_get,
    coalesce(h.fetches, 0) AS fetches,
    coalesce(h.fetches_ok, 0) AS fetches_ok,
    coalesce(h.fetches_failed, 0) AS fetches_failed,
    h.last_attempt_at,
    h.last_ok_at,
    h.last_new_at,
    CASE
        WHEN h.source IS NULL THEN 'never_fetched'
        WHEN s.backoff_until IS NOT NULL AND s.backoff_until > now() THEN 'backing_off'
        WHEN s.consecutive_failures >= 3 THEN 'failing'
        WHEN s.consecutive_failures > 0 THEN 'degraded'
        ELSE 'ok'
    END AS health
FROM sources AS s
LEFT JOIN hist AS h ON h.source = s.name;
