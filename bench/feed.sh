#!/usr/bin/env bash
# Subscriber benchmark: builds the server and feed-bench (release), starts the
# server on a free 127.0.0.1 port with a throw-away DATA_DIR (SQLite, or a
# throw-away PostgreSQL database with --postgres), runs feed-bench against it
# with the server's pid, prints the results and a summary of the server's log,
# then stops the server and removes everything it created.
#
# Usage: bench/feed.sh [--postgres] [feed-bench options...]
#   e.g. bench/feed.sh --subscribers 2000
#        bench/feed.sh --postgres --subscribers 10000 --events 20
# Environment:
#   CARGO_TARGET_DIR  where cargo builds (default: <repo>/target)
#   FEED_PG_URL       PostgreSQL server for --postgres
#                     (default: postgres://postgres@127.0.0.1:5432)
#   FEED_SERVER_LOG   copy the server's stderr log to this file at the end
#   FEED_NO_BUILD=1   skip the cargo build (use the binaries already built)
#   FEED_SERVER_BIN   run this server binary instead of the one built here
#                     (to compare a patched server)
#
# Exit status: feed-bench's (0 targets met, 2 targets missed, 1 could not run),
# or 1 when the build, the server or the setup failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $TARGET = /* ]] || TARGET=$ROOT/$TARGET
PG_URL=${FEED_PG_URL:-postgres://postgres@127.0.0.1:5432}

postgres=0
bench_args=()
for arg in "$@"; do
    case $arg in
        --postgres) postgres=1 ;;
        --url | --url=* | --server-pid | --server-pid=*)
            echo "feed.sh: $arg is set by this script" >&2
            exit 1
            ;;
        -h | --help)
            sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) bench_args+=("$arg") ;;
    esac
done

say() { echo "feed.sh: $*" >&2; }

# --- build (once, release) ---------------------------------------------------
if [[ ${FEED_NO_BUILD:-} != 1 ]]; then
    say "building spider-web and feed-bench (release)"
    (cd "$ROOT" && cargo build --release -p spider-web -p feed-bench --bins)
fi
SERVER_BIN=${FEED_SERVER_BIN:-$TARGET/release/spider-web}
BENCH_BIN=$TARGET/release/feed-bench
for bin in "$SERVER_BIN" "$BENCH_BIN"; do
    [[ -x $bin ]] || { say "missing $bin"; exit 1; }
done

# --- file descriptors ----------------------------------------------------------
# Each side needs one descriptor per subscriber. The hard limit may be lower
# than 65536 (containers); then take the hard limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
say "open-files limit: $(ulimit -n) (server and bench each)"

# --- server ------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/feed-bench.XXXXXX")
LOG=$WORK/server.log
SERVER_PID=
PG_DB=

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            say "server did not stop within 10 s of SIGTERM; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n ${FEED_SERVER_LOG:-} && -f $LOG ]]; then
        cp "$LOG" "$FEED_SERVER_LOG" && say "server log kept in $FEED_SERVER_LOG"
    fi
    if [[ -n $PG_DB ]]; then
        psql "$PG_URL/postgres" -qXc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 ||
            say "could not drop database $PG_DB"
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

db_env=()
if [[ $postgres = 1 ]]; then
    PG_DB=feed_bench_$$
    psql "$PG_URL/postgres" -qXc "CREATE DATABASE $PG_DB" >/dev/null
    db_env=(DATABASE_URL="$PG_URL/$PG_DB")
    say "database: PostgreSQL ($PG_URL/$PG_DB)"
else
    say "database: SQLite in $WORK/data"
fi

mkdir -p "$WORK/data"
env BIND=127.0.0.1:0 DATA_DIR="$WORK/data" "${db_env[@]}" "$SERVER_BIN" serve 2>"$LOG" &
SERVER_PID=$!

ADDR=
for _ in $(seq 1 600); do
    ADDR=$(grep -o 'listening addr=127\.0\.0\.1:[0-9]*' "$LOG" 2>/dev/null | head -n1 | cut -d= -f2 || true)
    [[ -n $ADDR ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $ADDR ]]; then
    say "the server did not start listening within 60 s; its log:"
    tail -n 50 "$LOG" >&2
    exit 1
fi
say "server pid $SERVER_PID listening on $ADDR"

# System-wide TCP counter (SYNs dropped because an accept queue was full).
listen_overflows() {
    awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) n[$i] = i; h = 1 } else print $n["ListenOverflows"] }' /proc/net/netstat 2>/dev/null || echo 0
}
backlog=$(ss -Hltn "sport = :${ADDR##*:}" 2>/dev/null | awk '{print $3}' | head -n1 || true)
say "listen backlog of the server socket: ${backlog:-unknown}"

# --- bench -------------------------------------------------------------------
overflows_before=$(listen_overflows)
status=0
"$BENCH_BIN" --url "http://$ADDR" --server-pid "$SERVER_PID" "${bench_args[@]}" || status=$?

overflows_after=$(listen_overflows)

# Memory once every subscriber has gone: what the server keeps.
sleep 2
rss_left=$(awk '/^VmRSS:/ {printf "%.1f MiB", $2 / 1024}' "/proc/$SERVER_PID/status" 2>/dev/null || true)
fds_left=$(ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l || true)

echo
echo "TCP listen-queue overflows during the run (system-wide): $((overflows_after - overflows_before))"
if kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "server: still running after the bench; 2 s after the subscribers left: VmRSS ${rss_left:-?}, ${fds_left:-?} fds"
else
    echo "server: EXITED during the bench; last lines of its log:"
    tail -n 50 "$LOG"
    status=1
fi
lines=$(wc -l <"$LOG")
problems=$(grep -cE ' (WARN|ERROR) ' "$LOG" || true)
echo "server log: $lines lines, $problems WARN/ERROR"
if [[ $problems -gt 0 ]]; then
    grep -E ' (WARN|ERROR) ' "$LOG" | sed -E 's/^[^ ]+ +//' | cut -c1-300 | sort | uniq -c | sort -rn | head -n 20
fi
exit "$status"
