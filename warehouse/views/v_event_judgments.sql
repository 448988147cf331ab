-- What analysts said of the tracker's judgments, per event, as of a time: the table macro
-- event_judgments(since, ts) and, as of now over every event, the view v_event_judgments.
-- One row per event that started in [since, ts]: why its opening item opened it (the classifier's issue evidence),
-- its proposed severity and the analyst's (the latest override at or before ts), whether the latest dismissal at or
-- before ts dismisses it and whether it still holds (dismissals_as_of), and its links: those stored with a response
-- time at or before ts, and of them the analysts' (link_decisions, recorded at or before ts) added and removed;
-- whether an analyst had merged or split its reports by ts (event_merges, event_splits); and whether an analyst had
-- made any decision on it by ts.
-- `yuqing quality` reads the macro; an event nobody reviewed counts as judged right, so what it reports are lower
-- bounds on the errors.
--   SELECT source, count(*), count(*) FILTER (WHERE dismissal_holds) FROM v_event_judgments GROUP BY ALL;
CREATE OR REPLACE MACRO event_judgments(since, ts) AS TABLE
    WITH ev AS (
        SELECT event_id, title, started_at, topics, region_code, severity_proposed, opening_item_id
        FROM events
        WHERE started_at >= since AND started_at <= ts
    ), links AS (
        SELECT r.event_id, count(*) AS links
        FROM responses AS r
        SEMI JOIN ev ON ev.event_id = r.event_id
        WHERE r.responded_at <= ts
        GROUP BY r.event_id
    ), decided AS (
        SELECT d.event_id, count(*) FILTER (WHERE d.linked) AS links_added,
               count(*) FILTER (WHERE NOT d.linked) AS links_removed
        FROM link_decisions() AS d
        SEMI JOIN ev ON ev.event_id = d.event_id
        WHERE d.recorded_at <= ts
        GROUP BY d.event_id
    ), regrouped_items AS (
        SELECT unnest(items) AS item_id FROM event_merges WHERE recorded_at <= ts
        UNION ALL
        SELECT unnest(list_concat(items, rest)) FROM event_splits WHERE recorded_at <= ts
    ), regrouped AS (
        SELECT DISTINCT ei.event_id
        FROM event_items AS ei
        SEMI JOIN regrouped_items AS r ON r.item_id = ei.item_id
        SEMI JOIN ev ON ev.event_id = ei.event_id
    )
    SELECT ev.event_id, ev.title, ev.started_at, ev.topics, ev.region_code, i.source, i.issue AS opener_issue,
           CASE WHEN i.issue THEN i.evidence -> 'issue' WHEN NOT i.issue THEN '[]'::JSON END AS opened_by,
           ev.severity_proposed, o.severity AS severity_override,
           coalesce(ds.dismissed, false) AS dismissed, coalesce(ds.holds, false) AS dismissal_holds,
           coalesce(l.links, 0) AS links, coalesce(dc.links_added, 0) AS links_added,
           coalesce(dc.links_removed, 0) AS links_removed,
           rg.event_id IS NOT NULL AS regrouped,
           ds.event_id IS NOT NULL OR o.event_id IS NOT NULL OR dc.event_id IS NOT NULL OR rg.event_id IS NOT NULL
               AS reviewed
    FROM ev
    LEFT JOIN items AS i ON i.item_id = ev.opening_item_id
    LEFT JOIN severity_overrides_as_of(ts := ts) AS o ON o.event_id = ev.event_id
    LEFT JOIN dismissals_as_of(ts) AS ds ON ds.event_id = ev.event_id
    LEFT JOIN links AS l ON l.event_id = ev.event_id
    LEFT JOIN decided AS dc ON dc.event_id = ev.event_id
    LEFT JOIN regrouped AS rg ON rg.event_id = ev.event_id;

CREATE OR REPLACE VIEW v_event_judgments AS
SELECT * FROM event_judgments('-infinity'::TIMESTAMPTZ, now());
