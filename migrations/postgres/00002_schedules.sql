-- +goose Up
-- The posting plan of an experiment (POST /v1/experiments/{id}/schedule): one row per planned
-- post. A new plan replaces the old one whole.
CREATE TABLE schedule_slots (
    experiment_id  TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL, -- the slot's place in the plan, from 0
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    variant_id     TEXT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    account        TEXT NOT NULL,
    planned_at     TIMESTAMPTZ NOT NULL,
    planned_offset INTEGER NOT NULL DEFAULT 0, -- seconds east of UTC of the slot's local time
    block          TEXT NOT NULL,              -- ISO week and account, e.g. 2026-W38/ifrc
    PRIMARY KEY (experiment_id, position)
);

-- +goose Down
DROP TABLE schedule_slots;
