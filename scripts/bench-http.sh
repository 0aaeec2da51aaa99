#!/usr/bin/env bash
# HTTP throughput of an authenticated read, GET /v1/experiments/{id}, against GET /healthz, on
# the database that DATABASE_URL names (a postgres:// URL or an SQLite path; unset: a fresh
# SQLite file). It builds postlab, migrates the database, creates a workspace of its own, serves
# on 127.0.0.1:$BENCH_PORT and runs wrk (apt-get install wrk) with $BENCH_CONNECTIONS
# connections for $BENCH_DURATION on each endpoint, $BENCH_ROUNDS times in turn, and gives the
# median ratio: on a shared machine one run of either moves by a tenth with the load of others.
# The experiment read is a full one (hypothesis, secondary metrics, factors). The per-key rate
# limit is turned off.
#
#   scripts/bench-http.sh
#   DATABASE_URL='postgres://postgres@127.0.0.1:5432/postlab_bench?sslmode=disable' scripts/bench-http.sh
#
# Target: the authenticated read at 30% or more of /healthz's requests/s, p99 under 50 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench-http: needs wrk (apt-get install -y wrk)" >&2; exit 1; }
tmp=$(mktemp -d)
port="${BENCH_PORT:-18080}"
conns="${BENCH_CONNECTIONS:-50}"
duration="${BENCH_DURATION:-10s}"
rounds="${BENCH_ROUNDS:-3}"
threads="${BENCH_THREADS:-2}"
export DATABASE_URL="${DATABASE_URL:-$tmp/bench.db}"
export POSTLAB_ADDR="127.0.0.1:$port" POSTLAB_RATE_LIMIT=0 POSTLAB_LOG_LEVEL=warn
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

go build -o "$tmp/postlab" ./cmd/postlab
"$tmp/postlab" migrate 2>/dev/null
key=$("$tmp/postlab" workspace create "bench-$(date +%s%N)" 2>/dev/null)
"$tmp/postlab" serve 2>"$tmp/server.log" &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
id=$(curl -fs -X POST "$base/v1/experiments" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"key":"bench","name":"Evening vs morning","platform":"tiktok","hypothesis":"Posting at 19:00 gets more views than at 09:00","primary_metric":"views","secondary_metrics":["likes","engagement_rate"],"factors":["post_time","format"]}' | sed 's/^{"id":"\([^"]*\)".*/\1/')

# cpu_ticks: the server's CPU time so far, in clock ticks (user + system).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# run NAME URL [wrk args…]: prints "NAME requests/s p99 and the server's CPU time per request".
# On a shared machine requests/s move with the load of others; CPU time per request less so.
run() {
  local name=$1 url=$2; shift 2
  local before after rps p99 n
  before=$(cpu_ticks)
  wrk -t"$threads" -c"$conns" -d"$duration" --latency "$@" "$url" >"$tmp/$name.txt"
  after=$(cpu_ticks)
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/$name.txt")
  n=$(awk '/requests in/ {print $1}' "$tmp/$name.txt")
  if grep -q "Non-2xx" "$tmp/$name.txt"; then
    grep "Non-2xx" "$tmp/$name.txt" >&2
  fi
  printf '%-12s %10s req/s   p99 %-9s server CPU %s µs/request\n' "$name" "$rps" "$p99" \
    "$(awk -v t=$((after - before)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t / hz / n * 1e6 }')"
  echo "$rps" >"$tmp/$name.rps"
}

dialect=sqlite
case "$DATABASE_URL" in postgres://* | postgresql://*) dialect=postgres ;; esac
echo "postlab on $dialect, $conns connections, $duration each, $rounds rounds"
for r in $(seq "$rounds"); do
  run healthz "$base/healthz"
  run experiment "$base/v1/experiments/$id" -H "Authorization: Bearer $key"
  awk -v a="$(cat "$tmp/experiment.rps")" -v h="$(cat "$tmp/healthz.rps")" 'BEGIN { printf "%.1f\n", 100 * a / h }' >>"$tmp/ratios"
  echo "round $r: authenticated read at $(tail -1 "$tmp/ratios")% of /healthz"
done
sort -n "$tmp/ratios" | awk '{ v[NR] = $1 } END { printf "median: authenticated read at %s%% of /healthz (target: 30%% or more)\n", v[int((NR + 1) / 2)] }'
