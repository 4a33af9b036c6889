#!/usr/bin/env bash
# Drill of the load-balanced rig: builds the release binary, starts
# deploy/rig.sh (3 instances on a fresh PostgreSQL database behind nginx, on
# 127.0.0.1 ports 18180-18183), runs scripts/rig_drill.py against it and stops
# it all. Needs nginx (apt-get install nginx) and PostgreSQL on 127.0.0.1:5432.
#   scripts/rig-drill.sh            (RIG_NO_BUILD=1 to use the binary as built)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
[ "${RIG_NO_BUILD:-0}" = 1 ] || cargo build --release --quiet
export SPIDER_WEB_BIN="${SPIDER_WEB_BIN:-$TARGET/release/spider-web}"
export RIG_DIR RIG_DB="rig_drill_$$" RIG_NGINX_PORT="${RIG_NGINX_PORT:-18180}"
RIG_DIR=$(mktemp -d)
export RIG_SCRIPT="$PWD/deploy/rig.sh"
cleanup() {
  "$RIG_SCRIPT" stop >/dev/null || true
  rm -rf "$RIG_DIR"
}
trap cleanup EXIT
"$RIG_SCRIPT" start
python3 scripts/rig_drill.py || { echo "== instance logs (last lines)"; tail -n 5 "$RIG_DIR"/i*.log; exit 1; }
