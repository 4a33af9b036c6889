#!/usr/bin/env bash
# Database outage drill (PostgreSQL): stop PostgreSQL under load, check that
# requests fail fast with 503 {"code": "unavailable"} and /readyz says 503, start
# it again and check that service resumes by itself, without a restart.
# It stops the machine's PostgreSQL for ~8 s: run it when nothing else uses it.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet
BIN="$TARGET/release/spider-web"
WORK=$(mktemp -d)
PORT=${PORT:-18932}
URL="http://127.0.0.1:$PORT"
CLUSTER="$(ls /etc/postgresql | head -n1)"
DB_NAME="outage_drill_$$"
psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $DB_NAME"
export BIND="127.0.0.1:$PORT" DATA_DIR="$WORK/data" RATE_LIMITS=off \
  JWT_SECRET=drill-secret-drill-secret-drill-secret \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB_NAME"
cleanup() {
  pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect "$CLUSTER" main start || true
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done

python3 scripts/drill_client.py probe "$URL" 20 "$WORK/probe.csv" &
PROBE=$!
sleep 3
echo "$(date +%T.%N | cut -c1-12) stopping PostgreSQL"
pg_ctlcluster --skip-systemctl-redirect "$CLUSTER" main stop -m fast
STOPPED=$(date +%s.%N)
sleep 8
echo "$(date +%T.%N | cut -c1-12) starting PostgreSQL"
STARTED=$(date +%s.%N)
pg_ctlcluster --skip-systemctl-redirect "$CLUSTER" main start
wait "$PROBE"
kill "$PID"; wait "$PID" || true; PID=""

python3 - "$WORK/probe.csv" "$STOPPED" "$STARTED" <<'PY'
import sys
rows = [l.strip().split(",") for l in open(sys.argv[1])]
stopped, started = float(sys.argv[2]), float(sys.argv[3])
during = [r for r in rows if stopped < float(r[0]) < started]
after = [r for r in rows if float(r[0]) > started]
# A request that began during the outage must be a 503, unless it was still
# waiting (under 2 s) when the database came back and then succeeded.
bad = [r for r in during
       if r[2] != "503" and not (r[2] == "200" and float(r[0]) + float(r[3]) > started)]
for r in bad:
    print("  not 503:", r)
print(f"requests during the outage: {len(during)}; statuses: {sorted(set(r[2] for r in during))}; "
      f"slowest answer {max(float(r[3]) for r in during):.2f} s")
ok_again = [float(r[0]) for r in after if r[2] == "200" and r[1] == "/api/cards/?page_size=1"]
ready_again = [float(r[0]) for r in after if r[2] == "200" and r[1] == "/readyz"]
print(f"first 200 after restart: {ok_again[0] - started:.2f} s (readyz {ready_again[0] - started:.2f} s)")
fail = bad or max(float(r[3]) for r in during) > 2.5 or not ok_again or ok_again[0] - started > 10
sys.exit(1 if fail else 0)
PY
grep -iE "unavailable|listener" "$WORK/server.log" | head -5 || true
echo "== outage drill passed"
