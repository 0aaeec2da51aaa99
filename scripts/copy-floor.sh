#!/usr/bin/env bash
# The floor for bulk ingest: PostgreSQL's own COPY of 100,000 snapshots (10,000 posts × 10
# readings, the rows BenchmarkIngest writes) into the postlab schema, timed by psql.
# Compare its rows/s with `go test -run X -bench Ingest ./api/`.
set -euo pipefail
cd "$(dirname "$0")/.."
url="${POSTLAB_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; psql "$url" -qc "DROP DATABASE IF EXISTS postlab_copy_floor" >/dev/null' EXIT
sed '/+goose Down/,$d' migrations/postgres/00001_init.sql > "$tmp/up.sql"
for h in $(seq 0 9); do
  seq 0 9999 | awk -v h="$h" '{ printf "id%d,w1,2026-09-1%d 1%d:00:00+00,%d,%d,3,2,1\n", $1, 5 + int(h / 5), h % 5, $1 * 10, $1 }'
done > "$tmp/snapshots.csv"
psql "$url" -qc "DROP DATABASE IF EXISTS postlab_copy_floor" -c "CREATE DATABASE postlab_copy_floor" >/dev/null
floor_url="${url/\/test?//postlab_copy_floor?}"
psql "$floor_url" -q <<SQL
\i $tmp/up.sql
INSERT INTO workspaces VALUES ('w1', 'w', now());
INSERT INTO experiments (id, workspace_id, key, name, platform, status, primary_metric, horizon_hours,
  horizon_tolerance, alpha, correction, mde, created_at, updated_at)
  VALUES ('e1', 'w1', 'k', 'n', 'tiktok', 'running', 'views', 24, 0.25, 0.05, 'holm', 0.2, now(), now());
INSERT INTO variants (id, workspace_id, experiment_id, key, name, created_at) VALUES ('v1', 'w1', 'e1', 'a', 'a', now());
INSERT INTO posts (id, workspace_id, experiment_id, variant_id, platform, account, external_id, posted_at, created_at)
  SELECT 'id' || g, 'w1', 'e1', 'v1', 'tiktok', 'ifrc', 'p' || g, '2026-09-14 12:00+00', now() FROM generate_series(0, 9999) g;
ANALYZE;
\timing on
\copy snapshots (post_id, workspace_id, observed_at, views, likes, comments, shares, saves) FROM '$tmp/snapshots.csv' WITH (FORMAT csv)
SQL
