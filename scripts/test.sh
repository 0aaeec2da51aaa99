#!/usr/bin/env bash
# Runs postlab's whole test suite: makes sure a PostgreSQL server answers on 127.0.0.1:5432
# (installing or starting it when needed), then runs every Go test, with the race detector,
# on PostgreSQL and on SQLite. Set POSTLAB_TEST_DATABASE_URL to use another server instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

pg_url="${POSTLAB_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"

answers() { psql "$pg_url" -Atqc 'select 1' >/dev/null 2>&1; }

ensure_postgres() {
  if [ -n "${POSTLAB_TEST_DATABASE_URL:-}" ] || answers; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "test.sh: PostgreSQL is not installed; installing it" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # The tests connect as postgres over TCP without a password, as on the development machines.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null ||
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
  for _ in $(seq 1 30); do
    if psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -Atqc 'select 1' >/dev/null 2>&1; then break; fi
    sleep 1
  done
  psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -Atqc \
    "select 1 from pg_database where datname = 'test'" | grep -q 1 ||
    psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -qc 'create database test'
  answers || { echo "test.sh: PostgreSQL does not answer at $pg_url" >&2; exit 1; }
}

ensure_postgres
go vet ./...
go test -race -count=1 "$@" ./...
