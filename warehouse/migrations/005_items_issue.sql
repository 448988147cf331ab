-- 005_items_issue: whether an item raises an issue, a matter a government body must answer (the
-- `issue` label of `yuqing tag`, docs/design.md "Classification"). Issues open events.
-- Items stored before this migration were classified without it: they get the rule that opened events
-- before (on a priority topic, and neither an official nor a reported response) until `yuqing retag`
-- classifies them again with the model.

ALTER TABLE items ADD COLUMN issue BOOLEAN DEFAULT false;

UPDATE items SET issue = (
    NOT official_response AND NOT reported_response
    AND EXISTS (SELECT 1 FROM item_topics AS t WHERE t.item_id = items.item_id)
);
