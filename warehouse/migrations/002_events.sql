-- 002_events: event tracking. Items grouped into events, responses linked to events, each event's
-- milestones under the response rules, analysts' severity overrides, and the state incremental
-- grouping needs (which items were tracked, their LSH bucket keys). All times TIMESTAMPTZ in UTC.

CREATE TABLE events (
    event_id           VARCHAR PRIMARY KEY,   -- derived from the opening item's id
    opening_item_id    VARCHAR NOT NULL,
    title              VARCHAR NOT NULL,      -- representative title (the opening item's)
    topics             VARCHAR[] NOT NULL,
    region_code        VARCHAR,
    region_name        VARCHAR,
    severity_proposed  VARCHAR NOT NULL,      -- max of the items' proposed severity
    started_at         TIMESTAMPTZ NOT NULL,  -- earliest item_time
    first_detected_at  TIMESTAMPTZ NOT NULL,  -- earliest fetched_at
    last_item_at       TIMESTAMPTZ NOT NULL,
    item_count         INTEGER NOT NULL,
    source_count       INTEGER NOT NULL,
    items_6h           INTEGER NOT NULL,      -- as of the run that last grouped it (views recompute)
    items_24h          INTEGER NOT NULL,
    heat               DOUBLE NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL   -- as_of of the run that last changed it
);

CREATE TABLE event_items (
    item_id   VARCHAR PRIMARY KEY,            -- an item belongs to at most one event
    event_id  VARCHAR NOT NULL
);

-- An event that merged into another (a late item bridged them) keeps pointing at its successor.
CREATE TABLE event_aliases (
    old_event_id VARCHAR PRIMARY KEY,
    event_id     VARCHAR NOT NULL,
    merged_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE responses (
    event_id        VARCHAR NOT NULL,
    item_id         VARCHAR NOT NULL,         -- the response item (or the reporting item when reported)
    responded_at    TIMESTAMPTZ NOT NULL,     -- the response item's item_time
    score           DOUBLE NOT NULL,
    evidence        JSON NOT NULL,            -- {"matched_terms": [...]}
    reported        BOOLEAN NOT NULL,         -- a media report of a response, not the release itself
    milestone_kinds VARCHAR[] NOT NULL,       -- milestones it can satisfy
    PRIMARY KEY (event_id, item_id)
);

CREATE TABLE milestones (
    event_id        VARCHAR NOT NULL,
    milestone       VARCHAR NOT NULL,         -- first_information | press_conference | first_response
    rule_id         VARCHAR NOT NULL,
    rule_version    VARCHAR NOT NULL,
    source_document VARCHAR NOT NULL,         -- 国办发〔2016〕61号 / 80号 …
    clock           VARCHAR NOT NULL,         -- event_start | first_detected
    satisfied_by    VARCHAR[] NOT NULL,       -- response kinds that meet it ('*' = any)
    deadline_hours  DOUBLE NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,     -- when the clock started
    deadline_at     TIMESTAMPTZ NOT NULL,
    status          VARCHAR NOT NULL,         -- as of computed_as_of: pending | met | met_late | overdue
    met_at          TIMESTAMPTZ,
    met_by_item_id  VARCHAR,
    reported        BOOLEAN,
    evidence        JSON NOT NULL,            -- {"response_item_ids": [...], "matched_terms": [...]}
    computed_as_of  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (event_id, milestone)
);

CREATE TABLE severity_overrides (
    event_id VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,                -- major_emergency | general
    analyst  VARCHAR NOT NULL,
    reason   VARCHAR NOT NULL,
    "at"     TIMESTAMPTZ NOT NULL,            -- the latest override of an event wins
    PRIMARY KEY (event_id, "at")
);

-- Every item a track run has looked at, and what it was to the tracker.
CREATE TABLE track_items (
    item_id    VARCHAR PRIMARY KEY,
    role       VARCHAR NOT NULL,              -- member | response | official | off_topic | unopened
    tracked_at TIMESTAMPTZ NOT NULL           -- as_of of the run that first saw it
);

-- MinHash LSH bucket keys of grouped items: a new item finds candidate events by an equality join.
CREATE TABLE track_bands (
    item_id   VARCHAR NOT NULL,
    band      SMALLINT NOT NULL,
    band_key  BIGINT NOT NULL,
    item_time TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (item_id, band)
);
