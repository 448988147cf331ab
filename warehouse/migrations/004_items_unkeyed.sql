-- 004_items_unkeyed: items and item_topics without PRIMARY KEY.
-- Maintaining their ART indexes slowed every load more as the tables grew, and the items key alone
-- held ~700 MB of memory at 10 M items (docs/performance.md). Uniqueness does not rest
-- on them: the only writer of both tables is warehouse.store, which inserts an item only when the
-- batch's change table (a join on item_id with the stored items) found it new, and replaces an
-- item's topics as a whole; writers are serialised by the file lock (warehouse/db.py). checks.py
-- still verifies unique items(item_id) and item_topics(item_id, topic) after every load.
-- DuckDB cannot drop a primary key in place, so both tables are rebuilt with their columns, order
-- and NOT NULL constraints unchanged; the views are re-applied after any migration (migrate.py).

CREATE TABLE items_004 (
    item_id            VARCHAR NOT NULL,
    source             VARCHAR NOT NULL,
    guid               VARCHAR,
    url                VARCHAR,
    title              VARCHAR NOT NULL,
    summary            VARCHAR NOT NULL,
    published_at       TIMESTAMPTZ,          -- what the feed said; NULL when absent or unparseable
    fetched_at         TIMESTAMPTZ NOT NULL, -- first fetch
    item_time          TIMESTAMPTZ NOT NULL, -- published_at when plausible, else first fetch
    content_hash       VARCHAR NOT NULL,
    first_seen_at      TIMESTAMPTZ NOT NULL, -- as_of of the run that first stored it
    updated_at         TIMESTAMPTZ NOT NULL, -- as_of of the run that last changed its content
    region_code        VARCHAR,
    region_name        VARCHAR,
    severity           VARCHAR NOT NULL,     -- major_emergency | general
    official_response  BOOLEAN NOT NULL,
    reported_response  BOOLEAN NOT NULL,
    response_kinds     VARCHAR[] NOT NULL,   -- milestones it can satisfy
    evidence           JSON NOT NULL,        -- region / severity / response evidence
    classifier_version VARCHAR NOT NULL
);
INSERT INTO items_004 SELECT * FROM items;
DROP TABLE items;
ALTER TABLE items_004 RENAME TO items;

CREATE TABLE item_topics_004 (
    item_id            VARCHAR NOT NULL,
    topic              VARCHAR NOT NULL,
    score              DOUBLE NOT NULL,
    terms              VARCHAR[] NOT NULL,
    rule               VARCHAR NOT NULL,
    classifier_version VARCHAR NOT NULL
);
INSERT INTO item_topics_004 SELECT * FROM item_topics;
DROP TABLE item_topics;
ALTER TABLE item_topics_004 RENAME TO item_topics;
