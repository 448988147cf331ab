-- 013_response_decisions: an analyst's word on whether an item answers an event (`yuqing link`). linked = true adds
-- a response the matcher missed (an answer worded plainly, or on a channel whose headline names nothing); false
-- removes one it made wrongly. One row per decision, kept as a log; the latest per (event, item) decides, at once in
-- the event's stored responses and milestones and in every track run after it.

CREATE TABLE response_decisions (
    event_id    VARCHAR NOT NULL,
    item_id     VARCHAR NOT NULL,
    linked      BOOLEAN NOT NULL,
    kinds       VARCHAR[] NOT NULL,      -- milestone kinds the item meets (linked); [] when removed
    analyst     VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL     -- wall clock when it was recorded; the latest per (event, item) decides
);
