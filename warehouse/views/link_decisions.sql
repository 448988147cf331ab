-- link_decisions(): analysts' link decisions (`yuqing link`), the latest per (event, item): linked = true, the item
-- answers the event (a link the matcher missed); false, it does not (a link the matcher made is removed).
--   SELECT * FROM link_decisions() WHERE event_id = 'ev-…';
CREATE OR REPLACE MACRO link_decisions() AS TABLE
    SELECT event_id, item_id, linked, kinds, analyst, reason, recorded_at
    FROM response_decisions
    QUALIFY row_number() OVER (PARTITION BY event_id, item_id ORDER BY recorded_at DESC) = 1;
