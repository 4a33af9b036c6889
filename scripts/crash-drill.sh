#!/usr/bin/env bash
# Crash safety drill: kill -9 the server in the middle of a write load, restart
# it, and check that every write acknowledged with 201 is readable and that the
# database needs no repair.
#   scripts/crash-drill.sh            # SQLite (a fresh file in a temp folder)
#   scripts/crash-drill.sh --postgres # PostgreSQL (a fresh database on 127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet
BIN="$TARGET/release/spider-web"
WORK=$(mktemp -d)
PORT=${PORT:-18931}
URL="http://127.0.0.1:$PORT"
export BIND="127.0.0.1:$PORT" DATA_DIR="$WORK/data" RATE_LIMITS=off JWT_SECRET=drill-secret-drill-secret-drill-secret
DB_NAME=""
if [ "${1:-}" = "--postgres" ]; then
  DB_NAME="crash_drill_$$"
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $DB_NAME"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB_NAME"
fi
cleanup() {
  [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null || true
  [ -n "$DB_NAME" ] && psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start() {
  "$BIN" serve >>"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -sf "$URL/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "server did not start"; cat "$WORK/server.log"; exit 1
}

echo "== crash drill on ${DATABASE_URL:-SQLite ($DATA_DIR)}"
start
python3 scripts/drill_client.py write "$URL" 10 "$WORK/ids" 8 &
LOAD=$!
sleep 3
echo "kill -9 $PID during the load"
kill -9 "$PID"
wait "$LOAD" || true
PID=""
start
python3 scripts/drill_client.py verify "$URL" "$WORK/ids"
if [ -z "$DB_NAME" ]; then
  kill "$PID"; wait "$PID" || true; PID=""
  echo "integrity_check: $(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])" "$DATA_DIR/spider-web.db")"
fi
echo "== crash drill passed"
