-- 008_runs_owner: which process runs a run (host and pid), so that the next run can tell a run that is still going
-- from one whose process died (kill -9, a crashed worker) and mark the latter 'abandoned' instead of leaving it
-- 'running' for ever.
ALTER TABLE runs ADD COLUMN host VARCHAR;
ALTER TABLE runs ADD COLUMN pid INTEGER;
