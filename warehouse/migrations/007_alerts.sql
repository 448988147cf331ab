-- 007_alerts: the urgent-alert ledger (docs/alerts.md). One row per (event, milestone, condition, route,
-- channel): raised by a track run as of its as_of (state pending), claimed before anything is sent
-- (sending), then sent, failed (tried again at next_try_at), gave_up, expired (the condition no longer
-- held when it could be sent) or in_doubt (a run died while sending: not sent again). The primary key is
-- what makes an alert go out at most once per channel, whatever re-runs, retries or concurrent runs do.

CREATE TABLE alerts (
    event_id     VARCHAR NOT NULL,
    milestone    VARCHAR NOT NULL,      -- first_information | press_conference | first_response | event
    condition    VARCHAR NOT NULL,      -- new_major | due_soon | overdue | met
    route        VARCHAR NOT NULL,      -- route name in routes.toml
    channel      VARCHAR NOT NULL,      -- email, or a [[channel]] name
    state        VARCHAR NOT NULL,
    raised_as_of TIMESTAMPTZ NOT NULL,  -- as_of of the track run that raised it
    deadline_at  TIMESTAMPTZ,           -- the milestone's deadline (NULL for new_major)
    summary      VARCHAR NOT NULL,      -- one line, as shown to ops
    content      JSON NOT NULL,         -- what the message says (rendered when it is sent)
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try_at  TIMESTAMPTZ,           -- a failed alert is tried again by the first run as of this time
    claimed_at   TIMESTAMPTZ,           -- wall clock of the claim (state sending)
    sent_at      TIMESTAMPTZ,           -- wall clock of the accepted send
    sent_as_of   TIMESTAMPTZ,           -- as_of of the run that sent it (rate limits are counted in as_of)
    message_key  VARCHAR,               -- the message it went out in (alerts close in time share one)
    error        VARCHAR,
    PRIMARY KEY (event_id, milestone, condition, route, channel),
    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'gave_up', 'expired', 'in_doubt'))
);

-- Every delivery attempt of a message, successful or not.
CREATE TABLE alert_attempts (
    message_key VARCHAR NOT NULL,
    route       VARCHAR NOT NULL,
    channel     VARCHAR NOT NULL,
    attempt_at  TIMESTAMPTZ NOT NULL,   -- wall clock
    as_of       TIMESTAMPTZ NOT NULL,
    alerts      INTEGER NOT NULL,       -- how many alerts the message carried
    ok          BOOLEAN NOT NULL,
    error       VARCHAR
);
