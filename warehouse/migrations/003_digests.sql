-- 003_digests: the digest ledger. One row per (Asia/Shanghai date of as_of, route).
-- The row is written in state 'sending' and committed BEFORE the SMTP conversation starts, then
-- moved to 'sent' or 'failed'. A row still in 'sending' on the next run means a run died mid-send:
-- the server may or may not have accepted the message, so it is not re-sent without force
-- (at-most-once; docs/digest.md).

CREATE TABLE digests (
    digest_date      DATE NOT NULL,          -- Asia/Shanghai date of as_of
    route            VARCHAR NOT NULL,       -- route name from routes.toml
    state            VARCHAR NOT NULL,       -- sending | sent | failed
    attempts         INTEGER NOT NULL DEFAULT 0,   -- SMTP attempts, cumulative over the day
    message_id       VARCHAR,                -- deterministic per (date, route, content)
    content_hash     VARCHAR,                -- sha256 of subject, text and html
    recipients_count INTEGER NOT NULL DEFAULT 0,
    subject          VARCHAR,
    as_of            TIMESTAMPTZ NOT NULL,   -- the digest's as_of: the next digest's "since"
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    error            VARCHAR,
    PRIMARY KEY (digest_date, route),
    CHECK (state IN ('sending', 'sent', 'failed'))
);
