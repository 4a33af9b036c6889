#!/usr/bin/env bash
# Browser test of the website (test.mjs) and of the API docs and GraphiQL
# pages (docs.mjs): starts the server binary on a free port with a fresh
# SQLite database, runs `node --test` against it, stops the server and exits
# with the test's status. Builds nothing.
#
#   bash clients/browser/run.sh [path/to/spider-web]
#
# The binary defaults to $CARGO_TARGET_DIR/debug/spider-web (target/ when unset).
# Needs node, npm and Chromium (/usr/bin/chromium, or set CHROMIUM).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$root/target}/debug/spider-web}"
case "$bin" in
  /*) ;;
  *) bin="$PWD/$bin" ;;
esac
if [ ! -x "$bin" ]; then
  echo "run.sh: no server binary at $bin (build it first: cargo build)" >&2
  exit 2
fi

cd "$here"
npm ci --no-audit --no-fund --loglevel=error

mkdir -p artifacts
data_dir="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

port="$(node -e "const s = require('net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });")"
url="http://127.0.0.1:$port"

# A database of its own: SQLite in the temporary DATA_DIR, whatever DATABASE_URL says.
env -u DATABASE_URL BIND="127.0.0.1:$port" DATA_DIR="$data_dir" RATE_LIMITS=off \
  "$bin" serve >artifacts/server.log 2>&1 &
server_pid=$!

if ! node -e "
  const deadline = Date.now() + 30000;
  (async () => {
    while (Date.now() < deadline) {
      try { if ((await fetch('$url/healthz')).ok) process.exit(0); } catch {}
      await new Promise((r) => setTimeout(r, 200));
    }
    process.exit(1);
  })();
"; then
  echo "run.sh: the server did not come up on $url; its log:" >&2
  cat artifacts/server.log >&2
  exit 1
fi

echo "run.sh: server $bin on $url"
status=0
# The server writes its mails as .eml files under $data_dir/mail/; the tests read them.
SPIDER_URL="$url" SPIDER_DATA_DIR="$data_dir" node --test test.mjs docs.mjs || status=$?
echo "run.sh: screenshots in $here/artifacts/"
exit "$status"
