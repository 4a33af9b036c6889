#!/usr/bin/env bash
# Does a password-reset request answer in the same time for a known and an
# unknown address? (The contract's no-enumeration rule: the mail is queued,
# not sent, inside the request.) Starts the server (release build, SQLite,
# RATE_LIMITS=off, no SMTP_URL: mails become .eml files), registers N users,
# then sends N reset requests for their addresses and N for unknown ones,
# interleaved, each timed by curl, and prints the medians and the 90th
# percentiles of both, and their difference.
#
# Usage: bench/reset-timing.sh [N]          (default 200)
# Environment: CARGO_TARGET_DIR, BENCH_SERVER_BIN (another server binary),
#              BENCH_NO_BUILD=1
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
N=${1:-200}
if [[ -z ${BENCH_NO_BUILD:-} && -z ${BENCH_SERVER_BIN:-} ]]; then
    (cd "$ROOT" && cargo build --release -p spider-web --bin spider-web)
fi
BIN=${BENCH_SERVER_BIN:-$TARGET/release/spider-web}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/reset-timing.XXXXXX")
PID=
cleanup() {
    [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
env -u DATABASE_URL -u SMTP_URL BIND=127.0.0.1:0 DATA_DIR="$WORK/data" RATE_LIMITS=off \
    "$BIN" serve 2>"$WORK/log" &
PID=$!
ADDR=
for _ in $(seq 1 300); do
    ADDR=$(grep -o 'listening addr=127\.0\.0\.1:[0-9]*' "$WORK/log" | head -n1 | cut -d= -f2 || true)
    [[ -n $ADDR ]] && break
    sleep 0.1
done
[[ -n $ADDR ]] || { echo "server did not start" >&2; cat "$WORK/log" >&2; exit 1; }
URL=http://$ADDR
echo "server $BIN on $URL; registering $N users" >&2
run=$RANDOM$RANDOM
pids=()
for i in $(seq 1 "$N"); do
    curl -s -o /dev/null -H 'content-type: application/json' \
        -d "{\"username\":\"u${run}_$i\",\"email\":\"u${run}_$i@example.com\",\"password1\":\"correct-horse-battery\",\"password2\":\"correct-horse-battery\"}" \
        "$URL/api/auth/register/" &
    pids+=($!)
    if (( ${#pids[@]} == 8 )); then wait "${pids[@]}"; pids=(); fi
done
(( ${#pids[@]} == 0 )) || wait "${pids[@]}"
reset() {
    curl -s -o /dev/null -w '%{time_total}\n' -H 'content-type: application/json' \
        -d "{\"email\":\"$1\"}" "$URL/api/auth/password/reset/"
}
# Warm-up, then interleaved: known, unknown, known, …
for i in $(seq 1 20); do reset "warm$i@example.net" >/dev/null; done
for i in $(seq 1 "$N"); do
    echo "known $(reset "u${run}_$i@example.com")"
    echo "unknown $(reset "nobody${run}_$i@example.com")"
done >"$WORK/times"
mails=$(ls "$WORK/data/mail" | wc -l)
python3 - "$WORK/times" "$N" "$mails" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
t = {k: sorted(float(v) * 1000 for kk, v in rows if kk == k) for k in ("known", "unknown")}
def p(xs, q): return xs[min(len(xs) - 1, int(q * len(xs)))]
for k in ("known", "unknown"):
    print(f"{k:8} n={len(t[k])} median {statistics.median(t[k]):.3f} ms  p90 {p(t[k], .9):.3f} ms  mean {statistics.mean(t[k]):.3f} ms")
d = statistics.median(t["known"]) - statistics.median(t["unknown"])
print(f"median difference (known - unknown): {d:+.3f} ms")
print(f"mail files written: {sys.argv[3]} (registration mails + {sys.argv[2]} reset mails expected)")
PY
