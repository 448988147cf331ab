-- zz_comments: what every table, view and column means, its unit and, for times, its time zone. Read them with
--   SELECT table_name, column_name, comment FROM duckdb_columns() WHERE table_name = 'v_events';
-- The last view file: view files are re-applied (all, in file-name order) after any migration or view change,
-- and CREATE OR REPLACE VIEW drops a view's comments, so these run after every view exists.
-- tests/warehouse/test_wh_comments.py fails when a table, view or column has no comment.
-- Terms used below: "as_of" is the logical time a run works as of (it sees only items with item_time and
-- fetched_at at or before it; in the past for backfills and replays); "wall clock" is the real time.

-- ------------------------------------------------------------------------------------------ bookkeeping

COMMENT ON TABLE schema_migrations IS 'Schema bookkeeping (warehouse/migrate.py): one row per numbered migration warehouse/migrations/NNN_name.sql applied, written in the same transaction as the migration. A database holding an unknown, edited or newer migration is refused.';
COMMENT ON COLUMN schema_migrations.version IS 'Migration number NNN (primary key); max(version) is the schema version.';
COMMENT ON COLUMN schema_migrations.name IS 'Migration file name without .sql, e.g. 001_core.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'Wall-clock time the migration was applied (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN schema_migrations.checksum IS 'SHA-256 (64 hex characters) of the migration file text, line endings normalised to LF; differs from the file when the file was edited after it was applied.';

COMMENT ON TABLE schema_views IS 'Schema bookkeeping: one row per file of warehouse/views/*.sql (views, the items_as_of macro, these comments) as last applied. All files are re-applied, in file-name order, when any of them changed or a migration ran.';
COMMENT ON COLUMN schema_views.file IS 'View file name, e.g. v_items.sql (primary key).';
COMMENT ON COLUMN schema_views.checksum IS 'SHA-256 (64 hex characters) of the file text, line endings normalised to LF.';
COMMENT ON COLUMN schema_views.applied_at IS 'Wall-clock time the view files were last applied (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';

-- ------------------------------------------------------------------------------------------ sources

COMMENT ON TABLE sources IS 'One row per feed ever configured in the sources file (docs/sources.md), with its fetch state. A source removed from the file keeps its row (its items and fetch_log refer to it). Written by ingest runs.';
COMMENT ON COLUMN sources.name IS 'Source name from the sources file (primary key): unique, shown to users, part of every item key; items.source and fetch_log.source refer to it.';
COMMENT ON COLUMN sources.url IS 'Feed URL as configured; a password in it is stored as user:***@host.';
COMMENT ON COLUMN sources.kind IS 'Feed kind: feed (RSS 0.9x/1.0/2.0 or Atom), the only kind known.';
COMMENT ON COLUMN sources.official IS 'True when the source is a government body (official = true in the sources file, or inferred from a .gov.cn / .政务 URL): its releases can be official responses, and it never opens an event about its own jurisdiction.';
COMMENT ON COLUMN sources.region IS 'GB/T 2260 six-digit code of an official source''s jurisdiction (join dim_regions.code); NULL = national body, or none configured.';
COMMENT ON COLUMN sources.etag IS 'ETag of the last full (HTTP 200) fetch, sent back as If-None-Match; NULL when the server gave none or an unusable one, or cleared by a backfill run that left out entries not yet published.';
COMMENT ON COLUMN sources.last_modified IS 'Last-Modified header of the last full fetch, verbatim HTTP-date text (not a timestamp), sent back as If-Modified-Since; NULL when none.';
COMMENT ON COLUMN sources.last_full_fetch_at IS 'as_of of the last ingest run that received the whole feed (HTTP 200); once 24 h of as_of have passed since, the next fetch is unconditional (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN sources.consecutive_failures IS 'Failed fetches in a row (count); 0 after any success. Runs that skipped the source (backing off) do not count.';
COMMENT ON COLUMN sources.backoff_until IS 'Runs whose as_of is before this skip the source (status skipped_backoff). Set after a failure: temporary 5 min doubling per failure up to 6 h, soft 1 h up to 1 day, hard 6 h up to 7 days, at least a Retry-After (capped at 6 h); NULL after a success (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN sources.last_status IS 'Status of the source''s latest fetch_log row (fetch_log.status vocabulary, skipped_backoff included).';
COMMENT ON COLUMN sources.last_error IS 'Error of the latest failed fetch (at most 500 characters); NULL after a success.';
COMMENT ON COLUMN sources.updated_at IS 'as_of of the last run that wrote this row: an ingest run storing its fetch state, or a sync that changed its configured columns (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';

-- ------------------------------------------------------------------------------------------ items

COMMENT ON TABLE items IS 'One row per feed entry ever stored, with the classifier''s tags (topics are in item_topics). item_id is the key but not a PRIMARY KEY (migration 004): warehouse.store keeps it unique and checks.py verifies it. Analysts usually read v_items.';
COMMENT ON COLUMN items.item_id IS 'Stable id, 32 hex characters: the first 16 bytes of SHA-256 over the source name and the entry''s GUID, else its link, else its title and published time.';
COMMENT ON COLUMN items.source IS 'sources.name of the feed it came from.';
COMMENT ON COLUMN items.guid IS 'The entry''s GUID / Atom id as the feed gave it; NULL when absent. Not used for item_id when the feed repeats it across different entries.';
COMMENT ON COLUMN items.url IS 'Canonical absolute link (http/https only, credentials and fragment removed); NULL when absent or unusable.';
COMMENT ON COLUMN items.title IS 'Plain-text title (markup, control and bidi characters removed).';
COMMENT ON COLUMN items.summary IS 'Plain-text summary or body of the entry (markup, control and bidi characters removed); empty when the feed gives none.';
COMMENT ON COLUMN items.published_at IS 'Published time the feed states (a time without zone is read as Asia/Shanghai); NULL when absent or unparseable (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN items.fetched_at IS 'as_of of the ingest run that first fetched it; never changes (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN items.item_time IS 'The item''s time, used by every as-of decision: published_at when plausible (at most 10 min after fetched_at, not before 1990), else fetched_at (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN items.content_hash IS 'First 16 bytes (32 hex characters) of SHA-256 over title, summary and url; when it changes the item counts as updated.';
COMMENT ON COLUMN items.first_seen_at IS 'as_of of the ingest run that first stored it (normally equal to fetched_at) (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN items.updated_at IS 'as_of of the ingest run that last changed its content (content_hash); first_seen_at when never changed; a retag does not move it (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN items.region_code IS 'GB/T 2260 six-digit code of the place the item is about, found by the classifier (join dim_regions.code); NULL when none.';
COMMENT ON COLUMN items.region_name IS 'Full name of region_code, province first (广东省深圳市南山区); NULL with it.';
COMMENT ON COLUMN items.severity IS 'Severity the classifier proposes: major_emergency (特别重大/重大突发事件: 5 h and 24 h deadlines) or general (48 h).';
COMMENT ON COLUMN items.official_response IS 'True when the item is itself an official body''s response release (rules or model).';
COMMENT ON COLUMN items.reported_response IS 'True when the item is a media report of an official body''s response (据…通报, …回应称), not the release itself; never true with official_response.';
COMMENT ON COLUMN items.response_kinds IS 'Milestones a response in this item can satisfy: first_information, press_conference, first_response; [] when none found.';
COMMENT ON COLUMN items.evidence IS 'Why the classifier tagged it, JSON: {"region": text or null, "severity": [...], "response": [...], "issue": ["p=0.87", heaviest model features, "rule: …"], "extra": {publisher, truncation notes …}}.';
COMMENT ON COLUMN items.classifier_version IS 'Version of the classifier that tagged it: code version plus a hash of every data file, model included; yuqing retag re-tags older ones.';
COMMENT ON COLUMN items.issue IS 'True when the item raises an issue, a matter a government body must answer (an incident, complaint, allegation, live local controversy, new local case): the classifier''s issue label (model or incident rule), never for an official item. Issues open events. Items stored before migration 005 got a rule-based value until retagged.';

COMMENT ON TABLE item_topics IS 'One row per (item, priority topic) the classifier tagged; the key (item_id, topic) is not a PRIMARY KEY (migration 004) but is kept unique by warehouse.store and verified by checks.py. An item''s topics are replaced as a whole when it is re-tagged.';
COMMENT ON COLUMN item_topics.item_id IS 'items.item_id.';
COMMENT ON COLUMN item_topics.topic IS 'Topic slug (dim_topics.slug), e.g. wage_arrears.';
COMMENT ON COLUMN item_topics.score IS 'Unitless. The lexicon score (sum of the matched terms'' weights, title weighing more) when the lexicon decided (rule title, body, publisher or …+model); the model''s probability, 0 to 1, when only the model did (rule model).';
COMMENT ON COLUMN item_topics.terms IS 'Evidence: the matched lexicon terms, heaviest first, then for model-decided tags the heaviest model features with their contributions (title:欠薪 +1.21).';
COMMENT ON COLUMN item_topics.rule IS 'What decided the tag: title, body or publisher (a lexicon rule), model (the learned model alone), or both, e.g. title+model.';
COMMENT ON COLUMN item_topics.classifier_version IS 'Version of the classifier that made the tag (as items.classifier_version).';

-- ------------------------------------------------------------------------------------------ fetch log, runs

COMMENT ON TABLE fetch_log IS 'One row per (ingest run, source): the fetch outcome and counts (docs/sources.md "Outcomes ops see"). A retry of the same run overwrites the details and adds what it newly stored.';
COMMENT ON COLUMN fetch_log.run_id IS 'runs.run_id of the ingest run.';
COMMENT ON COLUMN fetch_log.source IS 'sources.name.';
COMMENT ON COLUMN fetch_log.as_of IS 'as_of of the ingest run, not the wall-clock time of the request (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN fetch_log.status IS 'Outcome. Successes: new (at least one item new or changed), unchanged, not_modified (HTTP 304). Failures: parse_error, timeout (whole-exchange deadline, 30 s by default), too_large (body over the cap, 10 MiB decompressed by default), http_error, rate_limited (429), too_many_redirects, connect_error, blocked (address policy). skipped_backoff: not attempted, the source was backing off.';
COMMENT ON COLUMN fetch_log.disposition IS 'For a failure, what it means for the next attempt (sources.backoff_until): temporary (timeout, DNS or connection error, 5xx, 408, 429: back off 5 min doubling up to 6 h), soft (answered but unusable: parse error, too large, redirect problems, other 4xx: 1 h up to 1 day), hard (400/401/404/405/410/414/451, blocked or invalid URL: 6 h up to 7 days). NULL for successes and skipped_backoff.';
COMMENT ON COLUMN fetch_log.http_status IS 'HTTP status of the final response (200, 304, 4xx, 5xx); NULL when no response was received.';
COMMENT ON COLUMN fetch_log.error IS 'Reason of a failure; for skipped_backoff, until when and why; for a success, a charset warning or NULL.';
COMMENT ON COLUMN fetch_log.items_seen IS 'Entries in the fetched feed (distinct item ids, count); 0 for 304, failures and skips.';
COMMENT ON COLUMN fetch_log.items_new IS 'Items this fetch stored for the first time (count).';
COMMENT ON COLUMN fetch_log.items_updated IS 'Stored items whose content (content_hash) this fetch changed (count).';
COMMENT ON COLUMN fetch_log.charset_declared IS 'Charset the response declared (HTTP Content-Type first, then the XML declaration or meta); NULL when none or no body.';
COMMENT ON COLUMN fetch_log.charset_used IS 'Charset the body was actually decoded with (may differ from the declared one, e.g. GBK served as UTF-8); NULL when no body was decoded.';
COMMENT ON COLUMN fetch_log.bytes IS 'Size of the response body after decompression, in bytes; 0 for 304; NULL for skipped_backoff and for failures other than parse_error.';
COMMENT ON COLUMN fetch_log.elapsed_ms IS 'Duration of the whole HTTP exchange (connect, redirects, body), in milliseconds; NULL for skipped_backoff and for failures other than parse_error.';

COMMENT ON TABLE runs IS 'One row per run of a pipeline step (ingest, track): its as_of, wall-clock start and end, status and counts. v_events and v_milestones take their statuses as of the latest ok track run.';
COMMENT ON COLUMN runs.run_id IS 'Run id (primary key): ingest-<as_of in Asia/Shanghai as YYYYMMDDTHHMMSS>-<8 random hex>, or track-<12 hex of SHA-1 of as_of> (a track run re-run at the same as_of replaces its row).';
COMMENT ON COLUMN runs.kind IS 'Step: ingest or track (the only kinds written).';
COMMENT ON COLUMN runs.as_of IS 'The time the run works as of: it sees only items with item_time and fetched_at at or before it; in the past for backfills and replays (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN runs.started_at IS 'Wall-clock time the run started (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN runs.finished_at IS 'Wall-clock time the run ended; NULL while running (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN runs.status IS 'running, ok, partial (an ingest in which some source did not succeed, skipped ones included), failed (an error or failed data checks: see error), abandoned (its process died; marked by a later run). A track run is recorded only when it commits, as ok.';
COMMENT ON COLUMN runs.counts IS 'JSON counters. ingest: {sources, items_seen, items_new, items_updated, status_<fetch status>: sources with it}; track: {items_seen, members, events_touched, events_retired, responses_linked, milestones, overdue}.';
COMMENT ON COLUMN runs.error IS 'Why the run failed or was abandoned; NULL otherwise.';
COMMENT ON COLUMN runs.host IS 'Host name of the process running an ingest run (to tell a live run from a dead one); NULL for track runs.';
COMMENT ON COLUMN runs.pid IS 'Process id of that process on host; NULL for track runs.';

-- ------------------------------------------------------------------------------------------ events

COMMENT ON TABLE events IS 'One row per event: one incident, however many outlets report it (yuqing track; docs/design.md "Events, responses, deadlines"). Rewritten by every track run that touches it; item_count, source_count, items_6h, items_24h and heat are as of that run. Analysts usually read v_events (override applied, recent counts recomputed).';
COMMENT ON COLUMN events.event_id IS 'ev- plus the first 16 hex digits of SHA-1 of opening_item_id (primary key): stable while the event keeps its opening item. Ids of merged events are in event_aliases.';
COMMENT ON COLUMN events.opening_item_id IS 'items.item_id of the earliest member (by item_time, then item_id).';
COMMENT ON COLUMN events.title IS 'Representative title: the opening item''s.';
COMMENT ON COLUMN events.topics IS 'Sorted distinct topic slugs of all members (dim_topics.slug); [] when none (a major emergency on no priority topic).';
COMMENT ON COLUMN events.region_code IS 'GB/T 2260 code of the most specific place any member is about (the earliest such member on ties; join dim_regions.code); NULL when none.';
COMMENT ON COLUMN events.region_name IS 'Full name of region_code (湖北省十堰市张湾区); NULL with it.';
COMMENT ON COLUMN events.severity_proposed IS 'Severity before any analyst override: when members state casualty counts, major_emergency exactly when one reaches the thresholds (classifiers/data/severity.toml); else the most severe of the members'' proposals. severity_basis says which.';
COMMENT ON COLUMN events.started_at IS 'When the incident happened, where the event_start clock starts: the earliest incident time a member states («6月13日6时40分许») when before the earliest member''s item_time, else that item_time (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN events.first_detected_at IS 'Earliest fetched_at of the members: when yuqing first had a report (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN events.last_item_at IS 'Latest item_time of the members (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN events.item_count IS 'Members (event_items rows) as of the track run that last rewrote the event (count).';
COMMENT ON COLUMN events.source_count IS 'Distinct sources among those members (count).';
COMMENT ON COLUMN events.items_6h IS 'Members with item_time in (as_of - 6 h, as_of], as_of of the track run that last rewrote the event (count); v_events recomputes it as of the latest ok track run.';
COMMENT ON COLUMN events.items_24h IS 'Members with item_time in (as_of - 24 h, as_of], as_of of the track run that last rewrote the event (count); v_events recomputes it as of the latest ok track run.';
COMMENT ON COLUMN events.heat IS 'Attention score, unitless: item_count + 2 * source_count + 2 * items_24h + 4 * items_6h (yuqing.track.model.heat), with this row''s values; v_events.heat recomputes it as of the latest ok track run.';
COMMENT ON COLUMN events.updated_at IS 'as_of of the track run that last rewrote the event (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN events.clock_basis IS 'Why the clock starts at started_at: stated «wording» (item_id of the member stating it), or earliest report.';
COMMENT ON COLUMN events.severity_basis IS 'Why severity_proposed: counts reported: deaths=… (at or over / under the thresholds), proposed from the wording of its reports (major), or empty (general from the wording).';
COMMENT ON COLUMN events.kinds IS 'Linking profile: bit mask of the incident kinds any member reports; bit k is the k-th (0-based) kind of yuqing/track/incidents.toml [kinds]: 1 explosion, 2 fire, 4 collapse, 8 mine, 16 leak …';
COMMENT ON COLUMN events.place_codes IS 'Linking profile: the most specific places the members name, GB/T 2260 codes as integers (420303), at most 4, most specific first.';
COMMENT ON COLUMN events.place_levels IS 'Linking profile: level of each place_codes entry, in significant code digits: 2 province, 4 city, 6 county.';
COMMENT ON COLUMN events.term_codes IS 'Linking profile: the members'' rarest character bigrams (at most 16, ascending), each coded (codepoint of the first character << 21) | codepoint of the second (yuqing.track.incident.decode).';
COMMENT ON COLUMN events.term_weights IS 'Linking profile: rarity weight (idf from yuqing/track/data/common_bigrams.tsv) of each term_codes entry, the highest among the members; unitless.';
COMMENT ON COLUMN events.key_terms IS 'Linking profile: the rarest bigrams of the members'' headlines (coded as term_codes, at most 16): bucket keys for finding responses.';

COMMENT ON TABLE event_items IS 'Event membership: one row per item that belongs to an event (at most one event per item).';
COMMENT ON COLUMN event_items.item_id IS 'items.item_id of the member (primary key).';
COMMENT ON COLUMN event_items.event_id IS 'events.event_id of its event.';

COMMENT ON TABLE event_aliases IS 'Merged events: one row per retired event id (a late item bridged two events), pointing at the event it merged into. Follow the chain to the current event.';
COMMENT ON COLUMN event_aliases.old_event_id IS 'The retired event id (primary key).';
COMMENT ON COLUMN event_aliases.event_id IS 'The event it merged into (which may itself have been retired later).';
COMMENT ON COLUMN event_aliases.merged_at IS 'as_of of the track run that merged it (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';

COMMENT ON TABLE responses IS 'One row per (event, response item) linked: an official release, or a media report of one, that answers the event (jurisdiction, compatible places and kinds, shared wording; docs/analyst.md "How a response is linked"). Replaced for the events each track run looks at.';
COMMENT ON COLUMN responses.event_id IS 'events.event_id answered.';
COMMENT ON COLUMN responses.item_id IS 'items.item_id of the response: the official release, or the media item reporting it.';
COMMENT ON COLUMN responses.responded_at IS 'The response item''s item_time (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN responses.score IS 'Wording overlap with the event, 0 to 1: weight of the shared rare bigrams over the smaller of the two total weights.';
COMMENT ON COLUMN responses.evidence IS 'JSON {"matched_terms": [shared terms], "rule": "places agree at city level; kind: explosion; jurisdiction: … covers …"}.';
COMMENT ON COLUMN responses.reported IS 'True for a media report of a response (the item is not itself an official release); false for an official release.';
COMMENT ON COLUMN responses.milestone_kinds IS 'Milestones it can satisfy: the item''s response_kinds, or first_information and first_response when it has none.';

COMMENT ON TABLE milestones IS 'One row per (event, milestone) under the response rules (yuqing/track/rules.toml): deadline, first qualifying response and status as of computed_as_of. v_milestones recomputes the status as of the latest ok track run.';
COMMENT ON COLUMN milestones.event_id IS 'events.event_id.';
COMMENT ON COLUMN milestones.milestone IS 'first_information (major_emergency: authoritative information within 5 h, 国办发〔2016〕80号), press_conference (major_emergency: within 24 h, 国办发〔2016〕61号, 80号) or first_response (general: answered within 48 h, 国办发〔2016〕61号).';
COMMENT ON COLUMN milestones.rule_id IS 'Id of the rule in rules.toml, e.g. national.major.first_information, or a regional override''s id.';
COMMENT ON COLUMN milestones.rule_version IS 'Version of rules.toml that produced the row, e.g. 2016-61-80.v1.';
COMMENT ON COLUMN milestones.source_document IS 'Document the deadline comes from, e.g. 国办发〔2016〕80号.';
COMMENT ON COLUMN milestones.clock IS 'Where the clock starts: event_start (events.started_at) or first_detected (events.first_detected_at).';
COMMENT ON COLUMN milestones.satisfied_by IS 'Response kinds (responses.milestone_kinds) that meet it; * = any response.';
COMMENT ON COLUMN milestones.deadline_hours IS 'Hours from the clock start to the deadline (5, 24, 48, or a regional override).';
COMMENT ON COLUMN milestones.started_at IS 'When the clock started (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN milestones.deadline_at IS 'started_at + deadline_hours (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN milestones.status IS 'As of computed_as_of: pending (deadline not passed, no qualifying response), met (first qualifying response at or before the deadline), met_late (after it), overdue (deadline passed, none yet).';
COMMENT ON COLUMN milestones.met_at IS 'responded_at (item_time) of the first qualifying response visible at computed_as_of; NULL while unanswered (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN milestones.met_by_item_id IS 'items.item_id of that first qualifying response; NULL while unanswered.';
COMMENT ON COLUMN milestones.reported IS 'True when that first response is a media report of a response, false when an official release; NULL while unanswered.';
COMMENT ON COLUMN milestones.evidence IS 'JSON {"response_item_ids": every qualifying response, earliest first, "matched_terms": the first one''s shared terms, "clock_start": events.clock_basis or first detected}.';
COMMENT ON COLUMN milestones.computed_as_of IS 'as_of of the track run that computed the row (after an analyst''s severity override: the latest track run''s) (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';

COMMENT ON TABLE severity_overrides IS 'Analysts'' severity overrides (yuqing severity): one row per override; the latest per event wins over events.severity_proposed and recomputes its milestones. Moved to the surviving event when events merge.';
COMMENT ON COLUMN severity_overrides.event_id IS 'events.event_id.';
COMMENT ON COLUMN severity_overrides.severity IS 'Severity set: major_emergency or general.';
COMMENT ON COLUMN severity_overrides.analyst IS 'Who set it (as given with --analyst).';
COMMENT ON COLUMN severity_overrides.reason IS 'Why (as given with --reason).';
COMMENT ON COLUMN severity_overrides."at" IS 'Wall-clock time it was recorded; the latest per event wins (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';

COMMENT ON TABLE track_items IS 'Every item a track run has looked at, with what it was to the tracker; the next run looks only at items not in here.';
COMMENT ON COLUMN track_items.item_id IS 'items.item_id (primary key).';
COMMENT ON COLUMN track_items.role IS 'member (of an event), response (an official or reported response), official (an official item that opened nothing), not_issue (neither an issue nor an outside report of a major emergency), off_topic (an issue on no priority topic and not major), backlog (already older than the 30-day lookback when first fetched; yuqing track --history looks again), unopened (anything else).';
COMMENT ON COLUMN track_items.tracked_at IS 'as_of of the track run that first looked at it (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN track_items.incident_at IS 'For a member: the incident time it states (今晨6时40分, 13日凌晨 …), resolved in Asia/Shanghai against its date; NULL when it states none (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN track_items.incident_wording IS 'That statement as written (6月13日6时40分许); NULL with incident_at.';

COMMENT ON TABLE track_bands IS 'Bucket keys of grouped items (tracker state): a new item finds candidate events by an equality join on (band, band_key) within the grouping window.';
COMMENT ON COLUMN track_bands.item_id IS 'items.item_id.';
COMMENT ON COLUMN track_bands.band IS 'Key slot: 0-15 the MinHash bands (3 of 48 hashes each) of title and summary; higher slots an incident kind in the item''s province, then the headline''s rarest terms (yuqing.track.grouping.item_keys).';
COMMENT ON COLUMN track_bands.band_key IS 'The 64-bit bucket key of that slot, stored as a signed BIGINT; zero keys (none) are not stored.';
COMMENT ON COLUMN track_bands.item_time IS 'The item''s item_time, for the grouping window (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';

-- ------------------------------------------------------------------------------------------ digests, alerts

COMMENT ON TABLE digests IS 'Digest ledger (docs/digest.md): one row per (Asia/Shanghai date, route); the row is committed as sending before any SMTP traffic, so a digest goes out at most once per day and route.';
COMMENT ON COLUMN digests.digest_date IS 'Calendar date of the digest''s as_of in Asia/Shanghai.';
COMMENT ON COLUMN digests.route IS 'Route name from routes.toml.';
COMMENT ON COLUMN digests.state IS 'sending (committed before SMTP; still sending on a later run means in doubt: not re-sent without --force), sent, failed (the next run tries again).';
COMMENT ON COLUMN digests.attempts IS 'SMTP attempts, cumulative over the day (count).';
COMMENT ON COLUMN digests.message_id IS 'Message-ID, deterministic from date, route and content hash (a .gN suffix on a forced re-send of a sent digest).';
COMMENT ON COLUMN digests.content_hash IS 'SHA-256 of subject, text and HTML.';
COMMENT ON COLUMN digests.recipients_count IS 'Recipients of the route (count).';
COMMENT ON COLUMN digests.subject IS 'Mail subject.';
COMMENT ON COLUMN digests.as_of IS 'The digest''s as_of; the next digest reports what happened since (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN digests.created_at IS 'Wall-clock time the row was first written (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN digests.sent_at IS 'Wall-clock time the server accepted the message; NULL unless sent (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN digests.error IS 'Last error (also after a success with refused recipients); NULL when none.';

COMMENT ON TABLE alerts IS 'Urgent-alert ledger (docs/alerts.md): one row per (event, milestone, condition, route, channel), raised by a track run; the key makes each alert go out at most once per channel.';
COMMENT ON COLUMN alerts.event_id IS 'events.event_id (the event may since have merged: event_aliases).';
COMMENT ON COLUMN alerts.milestone IS 'first_information, press_conference or first_response; event for a new_major alert.';
COMMENT ON COLUMN alerts.condition IS 'new_major (a major emergency just detected or with its 5 h clock running), due_soon (an unmet deadline within the route''s lead time), overdue (a deadline just passed unmet), met (a milestone just met; routes with alert_on_met).';
COMMENT ON COLUMN alerts.route IS 'Route name in routes.toml.';
COMMENT ON COLUMN alerts.channel IS 'email, or the name of a [[channel]] of routes.toml (wecom, dingtalk or webhook).';
COMMENT ON COLUMN alerts.state IS 'pending (raised, not yet sent), sending (claimed), sent, failed (tried again at next_try_at), gave_up (after 8 attempts), expired (the condition stopped holding before it could be sent), in_doubt (a run died while sending: not sent again).';
COMMENT ON COLUMN alerts.raised_as_of IS 'as_of of the track run that raised it (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN alerts.deadline_at IS 'The milestone''s deadline; NULL for new_major (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN alerts.summary IS 'One line as shown to ops: [condition] title · place · state.';
COMMENT ON COLUMN alerts.content IS 'JSON of what the message says (event_id, condition, title, region, severity, topics, started_at, clock_basis, deadline, rule, items …; its times are Asia/Shanghai text), rendered when sent.';
COMMENT ON COLUMN alerts.attempts IS 'Delivery attempts so far (count).';
COMMENT ON COLUMN alerts.next_try_at IS 'After a failure: the first delivery run whose as_of is at or after this tries again (as_of + 2 min, doubling up to 30 min) (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN alerts.claimed_at IS 'Wall-clock time it was claimed for sending; a claim older than 15 min still sending becomes in_doubt (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN alerts.sent_at IS 'Wall-clock time the channel accepted it (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN alerts.sent_as_of IS 'as_of of the run that sent it; rate limits are counted in as_of (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN alerts.message_key IS 'Key of the message it went out in (alert_attempts.message_key, 24 hex characters); alerts sent together share one.';
COMMENT ON COLUMN alerts.error IS 'Last delivery error, or why it expired or is in doubt; NULL after a success.';

COMMENT ON TABLE alert_attempts IS 'One row per delivery attempt of an alert message on a channel, successful or not (also the test messages of yuqing alerts --test).';
COMMENT ON COLUMN alert_attempts.message_key IS 'Key of the message (alerts.message_key); test-… for a test message.';
COMMENT ON COLUMN alert_attempts.route IS 'Route name in routes.toml.';
COMMENT ON COLUMN alert_attempts.channel IS 'email, or a [[channel]] name of routes.toml.';
COMMENT ON COLUMN alert_attempts.attempt_at IS 'Wall-clock time of the attempt (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN alert_attempts.as_of IS 'as_of of the delivering run (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN alert_attempts.alerts IS 'Alerts the message carried (count; 0 for a test message).';
COMMENT ON COLUMN alert_attempts.ok IS 'True when the channel accepted it (SMTP accepted; a robot or webhook answered HTTP 2xx with errcode 0).';
COMMENT ON COLUMN alert_attempts.error IS 'Why it failed; NULL when ok.';

-- ------------------------------------------------------------------------------------------ dimensions

COMMENT ON TABLE dim_topics IS 'Topic dimension: one row per topic of the classifier''s topic files, rewritten by yuqing when they change. Join item_topics.topic, events.topics, v_topic_daily.topic.';
COMMENT ON COLUMN dim_topics.slug IS 'Topic slug (primary key), as in item_topics.topic and events.topics, e.g. wage_arrears.';
COMMENT ON COLUMN dim_topics.name_zh IS 'Chinese name (疫情防控, 房地产金融 …).';
COMMENT ON COLUMN dim_topics.ord IS 'Display order, 1 first (the State Council''s list first).';

COMMENT ON TABLE dim_regions IS 'Region dimension: the GB/T 2260 gazetteer shipped with the classifier, one row per division, rewritten by yuqing when it changes. Join items.region_code, events.region_code, sources.region.';
COMMENT ON COLUMN dim_regions.code IS 'GB/T 2260 six-digit code (primary key), e.g. 440305.';
COMMENT ON COLUMN dim_regions.name IS 'Own name, e.g. 南山区.';
COMMENT ON COLUMN dim_regions.level IS '1 province, 2 city (prefecture), 3 county (district).';
COMMENT ON COLUMN dim_regions.parent_code IS 'Code of the enclosing division; NULL for a province.';
COMMENT ON COLUMN dim_regions.province_code IS 'Code of its province (the roll-up), e.g. 440000; its own code for a province.';
COMMENT ON COLUMN dim_regions.province_name IS 'Name of its province, e.g. 广东省.';
COMMENT ON COLUMN dim_regions.city_code IS 'Code of the city it is or lies in, e.g. 440300; a municipality''s districts roll up to the municipality (110000); NULL for a province.';
COMMENT ON COLUMN dim_regions.city_name IS 'Name of that city, e.g. 深圳市; NULL with city_code.';
COMMENT ON COLUMN dim_regions.full_name IS 'Full name, province first, e.g. 广东省深圳市南山区 (the form of items.region_name).';

-- ------------------------------------------------------------------------------------------ v_items

COMMENT ON VIEW v_items IS 'One row per item (items) with its sorted topics and its source''s official flag; times in UTC and, in the *_local columns, in Asia/Shanghai.';
COMMENT ON COLUMN v_items.item_id IS 'Stable item id, 32 hex characters (items.item_id).';
COMMENT ON COLUMN v_items.source IS 'sources.name of the feed it came from.';
COMMENT ON COLUMN v_items.source_official IS 'sources.official of its source: the feed is a government body''s.';
COMMENT ON COLUMN v_items.title IS 'Plain-text title.';
COMMENT ON COLUMN v_items.summary IS 'Plain-text summary or body; empty when none.';
COMMENT ON COLUMN v_items.url IS 'Canonical absolute link (http/https); NULL when none.';
COMMENT ON COLUMN v_items.topics IS 'Sorted topic slugs from item_topics (dim_topics.slug); [] when none.';
COMMENT ON COLUMN v_items.severity IS 'Severity the classifier proposes: major_emergency or general.';
COMMENT ON COLUMN v_items.region_code IS 'GB/T 2260 code of the place the item is about (dim_regions.code); NULL when none.';
COMMENT ON COLUMN v_items.region_name IS 'Full name of region_code (广东省深圳市南山区); NULL with it.';
COMMENT ON COLUMN v_items.official_response IS 'True when the item is itself an official body''s response release.';
COMMENT ON COLUMN v_items.reported_response IS 'True when the item is a media report of an official response (据…通报), not the release itself.';
COMMENT ON COLUMN v_items.response_kinds IS 'Milestones a response in it can satisfy: first_information, press_conference, first_response; [] when none.';
COMMENT ON COLUMN v_items.issue IS 'True when the item raises a matter a government body must answer (the classifier''s issue label; never for an official item): what opens events.';
COMMENT ON COLUMN v_items.item_time IS 'published_at when plausible (at most 10 min after fetched_at, not before 1990), else fetched_at (an instant, stored in UTC; item_time_local shows it in Asia/Shanghai).';
COMMENT ON COLUMN v_items.published_at IS 'Published time the feed states; NULL when absent or unparseable (an instant, stored in UTC; published_at_local shows it in Asia/Shanghai).';
COMMENT ON COLUMN v_items.fetched_at IS 'as_of of the ingest run that first fetched it (an instant, stored in UTC; fetched_at_local shows it in Asia/Shanghai).';
COMMENT ON COLUMN v_items.first_seen_at IS 'as_of of the ingest run that first stored it (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_items.updated_at IS 'as_of of the ingest run that last changed its content (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_items.item_time_local IS 'item_time in Asia/Shanghai local time (a TIMESTAMP without zone).';
COMMENT ON COLUMN v_items.published_at_local IS 'published_at in Asia/Shanghai local time (a TIMESTAMP without zone); NULL with it.';
COMMENT ON COLUMN v_items.fetched_at_local IS 'fetched_at in Asia/Shanghai local time (a TIMESTAMP without zone).';
COMMENT ON COLUMN v_items.classifier_version IS 'Version of the classifier that tagged it (code version plus a hash of its data files).';
COMMENT ON COLUMN v_items.evidence IS 'Why it was tagged, JSON: {"region", "severity", "response", "issue", "extra"} (items.evidence).';
COMMENT ON COLUMN v_items.content_hash IS 'First 16 bytes (32 hex characters) of SHA-256 over title, summary and url.';
COMMENT ON COLUMN v_items.guid IS 'The entry''s GUID / Atom id as the feed gave it; NULL when absent.';

-- ------------------------------------------------------------------------------------------ v_events

COMMENT ON VIEW v_events IS 'One row per event (events) with the effective severity; items_6h, items_24h, heat and status recomputed as of the latest ok track run (runs.kind = track; 1970-01-01 UTC when none).';
COMMENT ON COLUMN v_events.event_id IS 'Event id: ev- plus 16 hex digits derived from opening_item_id.';
COMMENT ON COLUMN v_events.title IS 'Representative title: the opening item''s.';
COMMENT ON COLUMN v_events.topics IS 'Sorted distinct topic slugs of its members; [] when none.';
COMMENT ON COLUMN v_events.region_code IS 'GB/T 2260 code of the most specific place any member is about (dim_regions.code); NULL when none.';
COMMENT ON COLUMN v_events.region_name IS 'Full name of region_code; NULL with it.';
COMMENT ON COLUMN v_events.severity IS 'Effective severity: the latest analyst override (severity_overrides) if any, else severity_proposed; major_emergency or general.';
COMMENT ON COLUMN v_events.severity_proposed IS 'Severity from the members'' reports (casualty counts against the thresholds, else the most severe proposal).';
COMMENT ON COLUMN v_events.severity_override IS 'The latest analyst override; NULL when none.';
COMMENT ON COLUMN v_events.started_at IS 'When the incident happened (a time a member states, else the earliest member''s item_time); the clock of its milestones starts here (an instant, stored in UTC; started_at_local shows it in Asia/Shanghai).';
COMMENT ON COLUMN v_events.first_detected_at IS 'Earliest fetched_at of its members (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_events.last_item_at IS 'Latest item_time of its members (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_events.item_count IS 'Members as of the track run that last rewrote the event (count).';
COMMENT ON COLUMN v_events.source_count IS 'Distinct sources among those members (count).';
COMMENT ON COLUMN v_events.items_6h IS 'Members with item_time in (as_of - 6 h, as_of], as_of of the latest ok track run (count).';
COMMENT ON COLUMN v_events.items_24h IS 'Members with item_time in (as_of - 24 h, as_of], as_of of the latest ok track run (count).';
COMMENT ON COLUMN v_events.heat IS 'Attention score, unitless: item_count + 2 * source_count + 2 * items_24h + 4 * items_6h with this view''s items_6h and items_24h (yuqing.track.model.heat): breadth and recency weigh more than volume.';
COMMENT ON COLUMN v_events.status IS 'Worst status of its milestones as of the latest ok track run: overdue (a milestone past its deadline unanswered) > pending (one still open) > met_late > met; pending when it has no milestone.';
COMMENT ON COLUMN v_events.opening_item_id IS 'items.item_id of the earliest member, from which event_id derives.';
COMMENT ON COLUMN v_events.started_at_local IS 'started_at in Asia/Shanghai local time (a TIMESTAMP without zone).';
COMMENT ON COLUMN v_events.clock_basis IS 'Why the clock starts at started_at: stated «wording» (item_id) when a member states the incident time, else earliest report.';
COMMENT ON COLUMN v_events.severity_basis IS 'Why severity_proposed: the counts reported (at or over / under the thresholds), proposed from the wording of its reports, or empty.';

-- ------------------------------------------------------------------------------------------ v_milestones, v_overdue

COMMENT ON VIEW v_milestones IS 'One row per (event, milestone) (milestones), status recomputed as of the latest ok track run (status_as_of).';
COMMENT ON COLUMN v_milestones.event_id IS 'events.event_id.';
COMMENT ON COLUMN v_milestones.milestone IS 'first_information (major_emergency, 5 h, 国办发〔2016〕80号), press_conference (major_emergency, 24 h, 国办发〔2016〕61号, 80号) or first_response (general, 48 h, 国办发〔2016〕61号).';
COMMENT ON COLUMN v_milestones.rule_id IS 'Id of the rule in yuqing/track/rules.toml (or of a regional override).';
COMMENT ON COLUMN v_milestones.rule_version IS 'Version of rules.toml that produced it.';
COMMENT ON COLUMN v_milestones.source_document IS 'Document the deadline comes from, e.g. 国办发〔2016〕80号.';
COMMENT ON COLUMN v_milestones.started_at IS 'When the milestone''s clock started (events.started_at, or first_detected_at under the first_detected clock) (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_milestones.deadline_at IS 'started_at + the rule''s hours (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_milestones.status IS 'As of status_as_of: met (met_at at or before deadline_at), met_late (met_at after it), overdue (unanswered and status_as_of past deadline_at), pending (unanswered, deadline not passed).';
COMMENT ON COLUMN v_milestones.met_at IS 'Publication time (item_time) of the first qualifying response; NULL while unanswered (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_milestones.met_by_item_id IS 'items.item_id of that response; NULL while unanswered.';
COMMENT ON COLUMN v_milestones.reported IS 'True when that response is a media report of a response, false when an official release; NULL while unanswered.';
COMMENT ON COLUMN v_milestones.evidence IS 'JSON {"response_item_ids": qualifying responses, earliest first, "matched_terms": the first one''s shared terms, "clock_start": why the clock starts where it does}.';
COMMENT ON COLUMN v_milestones.status_as_of IS 'as_of of the latest ok track run (runs.kind = track), 1970-01-01 UTC when none: the time status is as of (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';

COMMENT ON VIEW v_overdue IS 'One row per (event, milestone) overdue as of the latest ok track run (v_milestones.status = overdue), with what an analyst needs to act. No lookback: filter on started_at. For another time use yuqing overdue --as-of.';
COMMENT ON COLUMN v_overdue.event_id IS 'events.event_id.';
COMMENT ON COLUMN v_overdue.milestone IS 'first_information, press_conference or first_response.';
COMMENT ON COLUMN v_overdue.deadline_at IS 'The missed deadline (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_overdue.overdue_by IS 'How late: status_as_of - deadline_at (an INTERVAL).';
COMMENT ON COLUMN v_overdue.severity IS 'Effective severity: the latest analyst override, else severity_proposed.';
COMMENT ON COLUMN v_overdue.topics IS 'The event''s topic slugs.';
COMMENT ON COLUMN v_overdue.region_code IS 'GB/T 2260 code of the event''s place; NULL when none.';
COMMENT ON COLUMN v_overdue.region_name IS 'Full name of region_code; NULL with it.';
COMMENT ON COLUMN v_overdue.title IS 'The event''s representative title.';
COMMENT ON COLUMN v_overdue.started_at IS 'When the incident happened (events.started_at) (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_overdue.item_urls IS 'Links of all the event''s items, earliest item_time first; items without a link left out.';
COMMENT ON COLUMN v_overdue.rule_id IS 'Id of the rule missed (rules.toml).';
COMMENT ON COLUMN v_overdue.rule_version IS 'Version of rules.toml.';
COMMENT ON COLUMN v_overdue.source_document IS 'Document the deadline comes from, e.g. 国办发〔2016〕80号.';
COMMENT ON COLUMN v_overdue.status_as_of IS 'as_of of the latest ok track run: the time the row is overdue as of (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';

-- ------------------------------------------------------------------------------------------ v_topic_daily, v_response_times

COMMENT ON VIEW v_topic_daily IS 'One row per day (Asia/Shanghai) x topic: every day from the first to the last day with data, every topic of dim_topics plus any other seen, zeros included (no gaps for moving averages or charts).';
COMMENT ON COLUMN v_topic_daily.day IS 'Calendar date in Asia/Shanghai.';
COMMENT ON COLUMN v_topic_daily.topic IS 'Topic slug (dim_topics.slug).';
COMMENT ON COLUMN v_topic_daily.items IS 'Items tagged with the topic (item_topics) whose item_time falls on day (count).';
COMMENT ON COLUMN v_topic_daily.events_opened IS 'Events having the topic whose started_at falls on day (count; an event counts under each of its topics, an event with no topic nowhere).';
COMMENT ON COLUMN v_topic_daily.responses IS 'Response links (responses rows) whose responded_at falls on day, of events having the topic (count; a response linked to two events counts twice).';

COMMENT ON VIEW v_response_times IS 'One row per event x topic x milestone: v_milestones (one row per event and milestone) crossed with the event''s topics, so an event with n topics has n rows per milestone. Counts, shares and medians not grouped by topic must first pick one row per (event_id, milestone). Events with no topic (events.topics = []) have no rows. Status as of the latest ok track run; hours_to_response NULL while unanswered.';
COMMENT ON COLUMN v_response_times.event_id IS 'events.event_id.';
COMMENT ON COLUMN v_response_times.topic IS 'One of the event''s topic slugs (dim_topics.slug).';
COMMENT ON COLUMN v_response_times.region IS 'The event''s GB/T 2260 region code (events.region_code); NULL when none.';
COMMENT ON COLUMN v_response_times.region_name IS 'Full name of region; NULL with it.';
COMMENT ON COLUMN v_response_times.milestone IS 'first_information, press_conference (major_emergency events) or first_response (general events).';
COMMENT ON COLUMN v_response_times.status IS 'v_milestones.status, as of the latest ok track run: pending, met, met_late, overdue.';
COMMENT ON COLUMN v_response_times.started_at IS 'events.started_at, the time hours_to_response is measured from (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_response_times.met_at IS 'Publication time (item_time) of the first qualifying response; NULL while unanswered (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_response_times.reported IS 'True when that response is a media report of a response, false when an official release; NULL while unanswered.';
COMMENT ON COLUMN v_response_times.hours_to_response IS 'Hours (decimal; whole seconds / 3600) from started_at to met_at; NULL while unanswered.';
COMMENT ON COLUMN v_response_times.within_24h IS 'True when met_at is at most 24 h after started_at; false when later or unanswered.';
COMMENT ON COLUMN v_response_times.within_48h IS 'True when met_at is at most 48 h after started_at; false when later or unanswered.';

-- ------------------------------------------------------------------------------------------ v_source_health, v_fetch_status

COMMENT ON VIEW v_source_health IS 'One row per source (sources) for ops: fetch history from fetch_log, failures, backoff and a verdict (health).';
COMMENT ON COLUMN v_source_health.source IS 'sources.name.';
COMMENT ON COLUMN v_source_health.url IS 'Feed URL (a password shown as ***).';
COMMENT ON COLUMN v_source_health.official IS 'True when the source is a government body.';
COMMENT ON COLUMN v_source_health.region IS 'GB/T 2260 code of an official source''s jurisdiction; NULL = national or none.';
COMMENT ON COLUMN v_source_health.last_status IS 'Status of the latest fetch (fetch_log.status vocabulary).';
COMMENT ON COLUMN v_source_health.last_error IS 'Error of the latest failed fetch; NULL after a success.';
COMMENT ON COLUMN v_source_health.consecutive_failures IS 'Failed fetches in a row (count); 0 after a success.';
COMMENT ON COLUMN v_source_health.backoff_until IS 'Runs with an as_of before this skip the source; NULL when not backing off (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_source_health.conditional_get IS 'True when an ETag or Last-Modified is stored, so the next fetch can be conditional (HTTP 304 when unchanged).';
COMMENT ON COLUMN v_source_health.fetches IS 'Fetches attempted: fetch_log rows other than skipped_backoff (count).';
COMMENT ON COLUMN v_source_health.fetches_ok IS 'Successful fetches: status new, unchanged or not_modified (count).';
COMMENT ON COLUMN v_source_health.fetches_failed IS 'Failed fetches: any other status except skipped_backoff (count).';
COMMENT ON COLUMN v_source_health.last_attempt_at IS 'as_of of the latest fetch_log row, skipped_backoff rows included (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_source_health.last_ok_at IS 'as_of of the latest successful fetch (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_source_health.last_new_at IS 'as_of of the latest fetch with status new (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_source_health.health IS 'The first that holds: never_fetched (no fetch_log row), backing_off (backoff_until later than the wall clock now() of the query, not a run''s as_of), failing (3 or more consecutive failures), degraded (1 or 2), ok.';

COMMENT ON VIEW v_fetch_status IS 'One row per source (sources): its latest fetch_log row (latest as_of, then run_id; NULLs when never fetched) and what is stored of it.';
COMMENT ON COLUMN v_fetch_status.source IS 'sources.name.';
COMMENT ON COLUMN v_fetch_status.official IS 'True when the source is a government body.';
COMMENT ON COLUMN v_fetch_status.run_id IS 'runs.run_id of the ingest run of that fetch.';
COMMENT ON COLUMN v_fetch_status.as_of IS 'as_of of that ingest run (an instant, stored in UTC; as_of_local shows it in Asia/Shanghai).';
COMMENT ON COLUMN v_fetch_status.as_of_local IS 'as_of in Asia/Shanghai local time (a TIMESTAMP without zone).';
COMMENT ON COLUMN v_fetch_status.status IS 'Outcome: new, unchanged, not_modified (successes), parse_error, timeout, too_large, http_error, rate_limited, too_many_redirects, connect_error, blocked, or skipped_backoff (not attempted).';
COMMENT ON COLUMN v_fetch_status.disposition IS 'For a failure: temporary, soft or hard (fetch_log.disposition); NULL otherwise.';
COMMENT ON COLUMN v_fetch_status.http_status IS 'HTTP status of the final response; NULL when none was received.';
COMMENT ON COLUMN v_fetch_status.error IS 'Reason of a failure or skip, or a charset warning; NULL otherwise.';
COMMENT ON COLUMN v_fetch_status.items_seen IS 'Entries in the fetched feed (count).';
COMMENT ON COLUMN v_fetch_status.items_new IS 'Items that fetch stored for the first time (count).';
COMMENT ON COLUMN v_fetch_status.items_updated IS 'Stored items whose content that fetch changed (count).';
COMMENT ON COLUMN v_fetch_status.charset_declared IS 'Charset the response declared; NULL when none.';
COMMENT ON COLUMN v_fetch_status.charset_used IS 'Charset the body was decoded with.';
COMMENT ON COLUMN v_fetch_status.bytes IS 'Response body size after decompression, in bytes; 0 for 304; NULL for skips and failures other than parse_error.';
COMMENT ON COLUMN v_fetch_status.elapsed_ms IS 'Duration of the whole HTTP exchange, in milliseconds; NULL for skips and failures other than parse_error.';
COMMENT ON COLUMN v_fetch_status.items_stored IS 'Items of the source in items, all runs (count).';
COMMENT ON COLUMN v_fetch_status.last_item_time IS 'Latest item_time among them (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';

-- ------------------------------------------------------------------------------------------ v_alerts, v_event_items

COMMENT ON VIEW v_alerts IS 'The alerts ledger with each event''s title and region (NULL when the event is gone, e.g. merged); ops look at states failed, gave_up and in_doubt. content, claimed_at and sent_as_of are in alerts.';
COMMENT ON COLUMN v_alerts.event_id IS 'events.event_id.';
COMMENT ON COLUMN v_alerts.title IS 'The event''s title; NULL when the event is gone.';
COMMENT ON COLUMN v_alerts.region_name IS 'Full name of the event''s place; NULL when none.';
COMMENT ON COLUMN v_alerts.milestone IS 'first_information, press_conference or first_response; event for new_major.';
COMMENT ON COLUMN v_alerts.condition IS 'new_major, due_soon, overdue or met (alerts.condition).';
COMMENT ON COLUMN v_alerts.route IS 'Route name in routes.toml.';
COMMENT ON COLUMN v_alerts.channel IS 'email, or a [[channel]] name of routes.toml.';
COMMENT ON COLUMN v_alerts.state IS 'pending, sending, sent, failed (retried at next_try_at), gave_up, expired or in_doubt (alerts.state).';
COMMENT ON COLUMN v_alerts.raised_as_of IS 'as_of of the track run that raised it (an instant, stored in UTC; raised_local shows it in Asia/Shanghai).';
COMMENT ON COLUMN v_alerts.raised_local IS 'raised_as_of in Asia/Shanghai local time (a TIMESTAMP without zone).';
COMMENT ON COLUMN v_alerts.deadline_at IS 'The milestone''s deadline; NULL for new_major (an instant, stored in UTC; deadline_local shows it in Asia/Shanghai).';
COMMENT ON COLUMN v_alerts.deadline_local IS 'deadline_at in Asia/Shanghai local time (a TIMESTAMP without zone); NULL with it.';
COMMENT ON COLUMN v_alerts.attempts IS 'Delivery attempts so far (count).';
COMMENT ON COLUMN v_alerts.next_try_at IS 'After a failure: retried by the first delivery run with an as_of at or after this (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_alerts.sent_at IS 'Wall-clock time the channel accepted it (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_alerts.message_key IS 'Key of the message it went out in (alert_attempts.message_key).';
COMMENT ON COLUMN v_alerts.error IS 'Last delivery error, or why it expired or is in doubt.';
COMMENT ON COLUMN v_alerts.summary IS 'One line as shown to ops.';

COMMENT ON VIEW v_event_items IS 'One row per member item of an event (event_items) with how the classifier tagged it and why (topics with terms and rule, issue and response evidence); times also in Asia/Shanghai.';
COMMENT ON COLUMN v_event_items.event_id IS 'events.event_id.';
COMMENT ON COLUMN v_event_items.item_id IS 'items.item_id of the member.';
COMMENT ON COLUMN v_event_items.source IS 'sources.name of its feed.';
COMMENT ON COLUMN v_event_items.title IS 'Plain-text title.';
COMMENT ON COLUMN v_event_items.url IS 'Canonical link; NULL when none.';
COMMENT ON COLUMN v_event_items.item_time IS 'The item''s time: published_at when plausible, else fetched_at (an instant, stored in UTC; item_time_local shows it in Asia/Shanghai).';
COMMENT ON COLUMN v_event_items.item_time_local IS 'item_time in Asia/Shanghai local time (a TIMESTAMP without zone).';
COMMENT ON COLUMN v_event_items.role IS 'track_items.role (member for a member); NULL if no track run recorded it.';
COMMENT ON COLUMN v_event_items.incident_at IS 'The incident time the item states (track_items.incident_at); NULL when none (an instant, stored in UTC; show it with AT TIME ZONE ''Asia/Shanghai'').';
COMMENT ON COLUMN v_event_items.issue IS 'The classifier''s issue label: raises a matter a government body must answer.';
COMMENT ON COLUMN v_event_items.severity IS 'Severity the classifier proposes for the item: major_emergency or general.';
COMMENT ON COLUMN v_event_items.region_code IS 'GB/T 2260 code of the item''s place; NULL when none.';
COMMENT ON COLUMN v_event_items.region_name IS 'Full name of region_code; NULL with it.';
COMMENT ON COLUMN v_event_items.official_response IS 'True when the item is itself an official response release.';
COMMENT ON COLUMN v_event_items.reported_response IS 'True when the item is a media report of an official response.';
COMMENT ON COLUMN v_event_items.topic_evidence IS 'Its topics as a list of {topic, rule, score, terms} ordered by topic (item_topics); [] when none.';
COMMENT ON COLUMN v_event_items.evidence IS 'The classifier''s evidence, JSON: {"region", "severity", "response", "issue", "extra"} (items.evidence).';
COMMENT ON COLUMN v_event_items.classifier_version IS 'Version of the classifier that tagged it.';
