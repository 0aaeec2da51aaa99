-- +goose Up
CREATE TABLE workspaces (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at DATETIME NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, id);

CREATE TABLE experiments (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key               TEXT NOT NULL,
    name              TEXT NOT NULL,
    hypothesis        TEXT NOT NULL DEFAULT '',
    platform          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'running', 'paused', 'concluded', 'archived')),
    primary_metric    TEXT NOT NULL,
    secondary_metrics TEXT NOT NULL DEFAULT '[]', -- JSON array of metric names
    ratio_metrics     TEXT NOT NULL DEFAULT '[]', -- JSON array of {name, numerator, denominator}
    horizon_hours     REAL NOT NULL,
    horizon_tolerance REAL NOT NULL,
    alpha             REAL NOT NULL,
    correction        TEXT NOT NULL,
    mde               REAL NOT NULL,
    factors           TEXT NOT NULL DEFAULT '[]', -- JSON array of factor names
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    started_at        DATETIME,
    concluded_at      DATETIME,
    decision          TEXT, -- JSON conclusion, with the report frozen at conclusion
    UNIQUE (workspace_id, key)
);
CREATE INDEX experiments_workspace ON experiments (workspace_id, id);

CREATE TABLE variants (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    experiment_id  TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    name           TEXT NOT NULL,
    is_control     BOOLEAN NOT NULL DEFAULT FALSE,
    levels         TEXT NOT NULL DEFAULT '{}', -- JSON object factor -> level
    weight         REAL NOT NULL DEFAULT 0,
    hashtags       TEXT NOT NULL DEFAULT '[]',
    format         TEXT NOT NULL DEFAULT '',
    post_time      TEXT, -- JSON {start, end, timezone}
    created_at     DATETIME NOT NULL,
    UNIQUE (experiment_id, key)
);
-- At most one control per experiment; "exactly one" is checked when the experiment starts.
CREATE UNIQUE INDEX variants_one_control ON variants (experiment_id) WHERE is_control = 1;

CREATE TABLE posts (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    experiment_id     TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    variant_id        TEXT NOT NULL REFERENCES variants (id) ON DELETE RESTRICT,
    platform          TEXT NOT NULL,
    account           TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    url               TEXT NOT NULL DEFAULT '',
    posted_at         DATETIME NOT NULL,
    posted_offset     INTEGER NOT NULL DEFAULT 0, -- seconds east of UTC, as the post was logged
    timezone          TEXT NOT NULL DEFAULT '',
    country           TEXT NOT NULL DEFAULT '',
    language          TEXT NOT NULL DEFAULT '',
    caption           TEXT NOT NULL DEFAULT '',
    hashtags          TEXT NOT NULL DEFAULT '[]',
    followers_at_post INTEGER,
    logged_in_draft   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        DATETIME NOT NULL,
    UNIQUE (workspace_id, platform, external_id)
);
CREATE INDEX posts_experiment ON posts (experiment_id, variant_id);
CREATE INDEX posts_workspace ON posts (workspace_id, id);

CREATE TABLE snapshots (
    post_id            TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    workspace_id       TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    observed_at        DATETIME NOT NULL,
    views              INTEGER,
    reach              INTEGER,
    likes              INTEGER,
    comments           INTEGER,
    shares             INTEGER,
    saves              INTEGER,
    followers_gained   INTEGER,
    profile_views      INTEGER,
    watch_time_seconds REAL,
    avg_watch_seconds  REAL,
    completion_rate    REAL CHECK (completion_rate BETWEEN 0 AND 1),
    custom             TEXT, -- JSON object name -> number
    PRIMARY KEY (post_id, observed_at)
);

CREATE TABLE idempotency_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0, -- 0 while the first request is in flight
    content_type TEXT NOT NULL DEFAULT '',
    headers      TEXT NOT NULL DEFAULT '{}',
    body         BLOB,
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, method, path, key)
);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL -- hex
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE idempotency_keys;
DROP TABLE snapshots;
DROP TABLE posts;
DROP TABLE variants;
DROP TABLE experiments;
DROP TABLE api_keys;
DROP TABLE workspaces;
