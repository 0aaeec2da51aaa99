#!/usr/bin/env bash
# Runs postlab's whole test suite: go vet, then every Go test with the race detector, on
# PostgreSQL and on SQLite. Extra arguments go to `go test` (e.g. -run TestX).
#
# Which PostgreSQL it uses, in this order:
#   1. POSTLAB_TEST_DATABASE_URL, when set;
#   2. the server at 127.0.0.1:5432 (user postgres, database test, or postgres when there is no
#      test database), when it answers;
#   3. a throwaway cluster of its own: initdb into a temporary folder, served on a private port
#      and socket, removed when the script exits. PostgreSQL's programs are installed with apt
#      when they are missing.
# It never changes the configuration of a server it did not start.
#
# POSTLAB_TEST_PROBE_URL changes where step 2 looks (default as above); pointing it at a port
# where nothing listens exercises step 3 on a machine whose server runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

pg_tmp=
pg_ctl_stop=(true)
probe_url="${POSTLAB_TEST_PROBE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"

say() { echo "test.sh: $*" >&2; }

answers() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

# install_postgres installs the Debian packages when the programs are missing. It installs and
# nothing more: the cluster Debian creates and starts is not used unless it answers at the
# probe URL.
install_postgres() {
  if command -v psql >/dev/null && pg_bindir >/dev/null; then return; fi
  say "PostgreSQL's programs are missing; installing them with apt"
  local sudo=()
  if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# pg_bindir prints the folder of initdb and pg_ctl (Debian keeps them off PATH).
pg_bindir() {
  if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

# free_port prints a TCP port on 127.0.0.1 where nothing listens.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  say "found no free port"; exit 1
}

# start_throwaway starts a cluster in a temporary folder and sets pg_url to it. PostgreSQL
# refuses to run as root, so root runs it as the postgres user that the packages create.
start_throwaway() {
  local bindir port as=()
  bindir=$(pg_bindir) || { say "initdb not found"; exit 1; }
  port=$(free_port)
  pg_tmp=$(mktemp -d -t postlab-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$pg_tmp"
    as=(runuser -u postgres --)
  fi
  trap stop_throwaway EXIT
  "${as[@]}" "$bindir/initdb" -D "$pg_tmp/data" -U postgres --auth=trust -E UTF8 --no-sync \
    >"$pg_tmp/initdb.log" 2>&1 || { cat "$pg_tmp/initdb.log" >&2; exit 1; }
  # fsync off: the data is thrown away, and the tests create and drop many databases.
  "${as[@]}" "$bindir/pg_ctl" -D "$pg_tmp/data" -l "$pg_tmp/server.log" -w -s start \
    -o "-p $port -k $pg_tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" ||
    { cat "$pg_tmp/server.log" >&2; exit 1; }
  pg_ctl_stop=("${as[@]}" "$bindir/pg_ctl" -D "$pg_tmp/data" -m fast -s stop)
  psql "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" -qc 'create database test'
  pg_url="postgres://postgres@127.0.0.1:$port/test?sslmode=disable"
}

stop_throwaway() {
  "${pg_ctl_stop[@]}" >/dev/null 2>&1 || true
  rm -rf "$pg_tmp"
}

choose_postgres() {
  if [ -n "${POSTLAB_TEST_DATABASE_URL:-}" ]; then
    pg_url=$POSTLAB_TEST_DATABASE_URL
    say "PostgreSQL: $pg_url (POSTLAB_TEST_DATABASE_URL)"
    return
  fi
  install_postgres
  if answers "$probe_url"; then
    pg_url=$probe_url
    say "PostgreSQL: $pg_url (the server that answers there)"
    return
  fi
  # The server answers but has no test database: its postgres database serves as well, since
  # the tests only create and drop databases of their own through it.
  local fallback=${probe_url/\/test\?/\/postgres?}
  if [ "$fallback" != "$probe_url" ] && answers "$fallback"; then
    pg_url=$fallback
    say "PostgreSQL: $pg_url (the server that answers there)"
    return
  fi
  start_throwaway
  say "PostgreSQL: $pg_url (a throwaway cluster in $pg_tmp, removed on exit; nothing answered at $probe_url)"
}

choose_postgres
export POSTLAB_TEST_DATABASE_URL=$pg_url
go vet ./...
go test -race -count=1 -timeout 15m "$@" ./...
# The report's A/A and power simulations are single-threaded arithmetic: the race detector
# slows them tenfold and checks nothing in them, so they skip under -race and run here.
if [ $# -eq 0 ]; then go test -count=1 -run 'Simulation$' ./report/; fi
