-- 001_core: sources, items and their topics, the fetch log and the run log.
-- Keys are declared as PRIMARY KEY inside CREATE TABLE (DuckDB keeps them across crashes; a
-- separately created unique index was lost after repeated kill -9 cycles on 1.5.x).
-- All times are TIMESTAMPTZ in UTC (docs/design.md "Time").

CREATE TABLE sources (
    name                 VARCHAR PRIMARY KEY,
    url                  VARCHAR NOT NULL,
    kind                 VARCHAR NOT NULL,
    official             BOOLEAN NOT NULL,
    region               VARCHAR,
    -- fetch state, written in the same transaction as the items of that fetch
    etag                 VARCHAR,
    last_modified        VARCHAR,
    last_full_fetch_at   TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    backoff_until        TIMESTAMPTZ,
    last_status          VARCHAR,
    last_error           VARCHAR,
    updated_at           TIMESTAMPTZ NOT NULL
);

CREATE TABLE items (
    item_id            VARCHAR PRIMARY KEY,
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

CREATE TABLE item_topics (
    item_id            VARCHAR NOT NULL,
    topic              VARCHAR NOT NULL,
    score              DOUBLE NOT NULL,
    terms              VARCHAR[] NOT NULL,
    rule               VARCHAR NOT NULL,
    classifier_version VARCHAR NOT NULL,
    PRIMARY KEY (item_id, topic)
);

CREATE TABLE fetch_log (
    run_id           VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    as_of            TIMESTAMPTZ NOT NULL,
    status           VARCHAR NOT NULL,      -- FetchOutcome vocabulary
    disposition      VARCHAR,               -- temporary | soft | hard for failures
    http_status      INTEGER,
    error            VARCHAR,
    items_seen       INTEGER NOT NULL,
    items_new        INTEGER NOT NULL,
    items_updated    INTEGER NOT NULL,
    charset_declared VARCHAR,
    charset_used     VARCHAR,
    bytes            BIGINT,
    elapsed_ms       INTEGER,
    PRIMARY KEY (run_id, source)
);

CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL,           -- ingest | track | digest | retag | ...
    as_of       TIMESTAMPTZ NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,           -- running | ok | partial | failed
    counts      JSON,
    error       VARCHAR
);
