-- +goose Up
-- Idempotency records are scoped by workspace, API key, method, path and query, and hold only
-- completed answers: a record is written in the same transaction as the request's own writes,
-- so there is no "in flight" row any more (a request in flight holds a lock instead). The old
-- table's rows were scoped too loosely to be replayed safely, and live 24 hours at most anyway:
-- they are dropped with it.
DROP TABLE idempotency_keys;

CREATE TABLE idempotency_keys (
    -- SHA-256 (hex) of the scope below and the key: a fixed-size primary key, whatever the
    -- length of the path and query.
    scope        TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    api_key_id   TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    query        TEXT NOT NULL DEFAULT '',
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL, -- SHA-256 (hex) of the request's content type and body
    status       INTEGER NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    headers      TEXT NOT NULL DEFAULT '{}',
    body         BYTEA,
    redacted     BOOLEAN NOT NULL DEFAULT FALSE, -- the answer held a secret, which was not stored
    created_at   TIMESTAMPTZ NOT NULL
);

-- Records expire after 24 hours and are purged by age.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;

CREATE TABLE idempotency_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0, -- 0 while the first request is in flight
    content_type TEXT NOT NULL DEFAULT '',
    headers      TEXT NOT NULL DEFAULT '{}',
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, method, path, key)
);
