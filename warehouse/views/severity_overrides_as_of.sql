-- severity_overrides_as_of(ts): analysts' severity overrides (`yuqing severity`), the latest per event at or before
-- ts (by default the latest of all): the severity that wins over the tracker's proposal.
--   SELECT * FROM severity_overrides_as_of();
--   SELECT * FROM severity_overrides_as_of(ts := TIMESTAMPTZ '2021-06-18 08:00:00+08');
CREATE OR REPLACE MACRO severity_overrides_as_of(ts := 'infinity'::TIMESTAMPTZ) AS TABLE
    SELECT event_id, severity, analyst, reason, "at"
    FROM severity_overrides
    WHERE "at" <= ts
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY "at" DESC) = 1;
