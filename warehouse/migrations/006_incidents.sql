-- 006_incidents: events are incidents (docs/design.md "Events, responses, deadlines").
-- * events: why the clock starts where it does (a stated incident time, or the earliest report), why the
--   severity is what it is, and the incident profile linking compares (kinds, places, rare terms);
-- * track_items: the incident time an item states (resolved against its date), so that views and
--   `overdue` as of any time start the clock where the track run did;
-- * responses: the rule that linked each response.
-- Events were opened by any on-topic item before; they are opened by issues now. The tracking state is
-- derived from the items, so it is cleared here and the next `yuqing track` rebuilds it under the new
-- rules (an event keeps its id when it keeps its opening item; severity overrides are kept).

ALTER TABLE events ADD COLUMN clock_basis VARCHAR DEFAULT 'earliest report';
ALTER TABLE events ADD COLUMN severity_basis VARCHAR DEFAULT '';
ALTER TABLE events ADD COLUMN kinds BIGINT DEFAULT 0;
ALTER TABLE events ADD COLUMN place_codes BIGINT[] DEFAULT []::BIGINT[];
ALTER TABLE events ADD COLUMN place_levels INTEGER[] DEFAULT []::INTEGER[];
ALTER TABLE events ADD COLUMN term_codes BIGINT[] DEFAULT []::BIGINT[];
ALTER TABLE events ADD COLUMN term_weights FLOAT[] DEFAULT []::FLOAT[];
ALTER TABLE events ADD COLUMN key_terms BIGINT[] DEFAULT []::BIGINT[];
ALTER TABLE track_items ADD COLUMN incident_at TIMESTAMPTZ;
ALTER TABLE track_items ADD COLUMN incident_wording VARCHAR;

DELETE FROM milestones;
DELETE FROM responses;
DELETE FROM event_items;
DELETE FROM event_aliases;
DELETE FROM events;
DELETE FROM track_bands;
DELETE FROM track_items;
