-- +goose Up
-- The plan of an experiment (SPEC §3.1): the posts per variant at which its last look happens.
-- Set by the team or sized at start; NULL for experiments started before plans existed, whose
-- reports say they are unplanned.
ALTER TABLE experiments ADD COLUMN planned_posts_per_variant INTEGER
    CHECK (planned_posts_per_variant > 0);

-- +goose Down
ALTER TABLE experiments DROP COLUMN planned_posts_per_variant;
