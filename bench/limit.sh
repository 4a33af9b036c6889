#!/usr/bin/env bash
# The product against ../shared/bench-limit in one run: starts bench-limit
# (SQLite mode, a fresh file) on a free port, runs bench/run.sh's scenarios
# against it, stops it, runs the same scenarios on the product (bench/run.sh
# starting the product itself, SQLite or --postgres), and prints both tables
# and the ratios product / bench-limit (the issue's targets for S1, S5, S6).
#
#   bench/limit.sh [--scenarios S1,S5,S6] [--rounds N] [other bench/run.sh options]
#
# Environment: BENCH_LIMIT_BIN (default $HOME/.cache/bench-limit/release/bench-limit,
# built as ../shared/bench-limit/README.md says), and bench/run.sh's own
# (BENCH_NO_BUILD, BENCH_SERVER_BIN, CARGO_TARGET_DIR, …). bench-limit answers
# only S1, S2, S3, S4, S5, S6 (no conversations, no deep cursor); other
# scenarios run on the product alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
LIMIT_BIN="${BENCH_LIMIT_BIN:-$HOME/.cache/bench-limit/release/bench-limit}"
scenarios="S1,S5,S6"
rounds=1
rest=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --scenarios) scenarios="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) rest+=("$1"); shift ;;
    esac
done
if [[ ! -x $LIMIT_BIN ]]; then
    echo "limit.sh: no bench-limit binary at $LIMIT_BIN (see ../shared/bench-limit/README.md)" >&2
    exit 1
fi
limit_scenarios=$(tr ',' '\n' <<<"$scenarios" | grep -E '^S[1-6]$' | paste -sd, -)

work="$(mktemp -d)"
limit_pid=""
cleanup() {
    [[ -n $limit_pid ]] && kill "$limit_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# `| S1 … | 8,587 | …` rows of run.sh's table → "S1 8587" lines.
rates() { awk -F'|' '/^\| S[0-9]/ { split($2, w, " "); k = w[1]; if (k == "S2" && $2 ~ /deep/) k = "S2deep"; if (k == "S4" && $2 ~ /reads/) k = "S4reads"; gsub(/[ ,]/, "", $3); print k, $3 }' "$1"; }

for round in $(seq 1 "$rounds"); do
    if [[ -n $limit_scenarios ]]; then
        port=$(free_port)
        rm -f "$work/limit.sqlite"*
        BIND="127.0.0.1:$port" SQLITE_PATH="$work/limit.sqlite" "$LIMIT_BIN" sqlite >"$work/limit.log" 2>&1 &
        limit_pid=$!
        for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
        echo "== round $round: bench-limit (sqlite) on :$port, $limit_scenarios" >&2
        BENCH_SERVER_PID=$limit_pid "$here/run.sh" "${rest[@]}" --scenarios "$limit_scenarios" \
            "http://127.0.0.1:$port" >"$work/limit.$round.md"
        kill "$limit_pid"; wait "$limit_pid" 2>/dev/null || true; limit_pid=""
    fi
    echo "== round $round: Spider Web, $scenarios" >&2
    "$here/run.sh" "${rest[@]}" --scenarios "$scenarios" >"$work/product.$round.md"

    echo "### Round $round"
    echo
    echo "bench-limit:"
    grep -E '^(\||server|[A-Za-z].*cards seeded)' "$work/limit.$round.md" 2>/dev/null || echo "(not run)"
    echo
    echo "Spider Web:"
    grep -E '^(\||server|[A-Za-z].*cards seeded)' "$work/product.$round.md"
    echo
    echo "| scenario | bench-limit req/s | Spider Web req/s | ratio | target |"
    echo "|---|---:|---:|---:|---|"
    declare -A target=([S1]="≥ 0.75" [S5]="≥ 0.60" [S6]="≥ 0.45")
    join <(rates "$work/limit.$round.md" 2>/dev/null | sort) <(rates "$work/product.$round.md" | sort) |
        while read -r s lim prod; do
            ratio=$(awk -v a="$prod" -v b="$lim" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
            echo "| $s | $lim | $prod | $ratio | ${target[$s]:-} |"
        done
    echo
done
