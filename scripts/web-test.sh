#!/usr/bin/env bash
# Checks the dashboard: installs Debian's Chromium when missing (no browser is downloaded by
# npm), installs the npm packages from web/package-lock.json, type-checks the sources against
# openapi.yaml, checks that the committed web/dist was built from the current sources, and runs
# the browser tests against a real postlab on a temporary SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

if [ ! -x /usr/bin/chromium ]; then
  echo "web-test.sh: installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

cd web
npm ci --no-audit --no-fund --loglevel=error
# The client's types come from the contract: a change to openapi.yaml that breaks a page fails here.
npm run --silent gen
npx tsc --noEmit
cd ..

# The binary serves web/dist; it must be the build of the sources as they are.
go test -count=1 ./web/

bin="$(mktemp -d)/postlab"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/postlab
cd web
POSTLAB_BIN="$bin" node --test --test-concurrency=1 e2e/
echo "web-test.sh: screenshots in web/e2e/screenshots/" >&2
