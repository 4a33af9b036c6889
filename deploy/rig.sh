#!/usr/bin/env bash
# A load-balanced rig on loopback: N Spider Web instances (default 3) on one
# fresh PostgreSQL database, behind nginx (Debian's), with a watcher that
# polls each instance's /readyz and takes a failing one out of nginx's
# rotation.
#
#   deploy/rig.sh start     create the database, start the instances, nginx, the watcher
#   deploy/rig.sh stop      stop them all (SIGTERM: instances drain) and drop the database
#   deploy/rig.sh status    each instance's pid, /readyz and rotation; nginx's
#   deploy/rig.sh kill N    kill -9 instance N (1-based), for drills
#   deploy/rig.sh revive N  start instance N again on its port
#
# Environment (defaults):
#   SPIDER_WEB_BIN   the server binary ($CARGO_TARGET_DIR or target, /release/spider-web)
#   RIG_DIR          state, logs, nginx prefix (/tmp/spider-web-rig)
#   RIG_PG           PostgreSQL server (postgres://postgres@127.0.0.1:5432)
#   RIG_DB           database, created fresh by start, dropped by stop (spider_web_rig)
#   RIG_INSTANCES    how many instances (3)
#   RIG_NGINX_PORT   nginx's port on 127.0.0.1 (18080); instances on the next ones
#   RIG_KEEP_DB=1    stop keeps the database
#   Any server variable (RATE_LIMITS, DB_MAX_CONNECTIONS, RUST_LOG, ...) is
#   passed through to the instances.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${SPIDER_WEB_BIN:-$TARGET/release/spider-web}
RIG_DIR=${RIG_DIR:-/tmp/spider-web-rig}
RIG_PG=${RIG_PG:-postgres://postgres@127.0.0.1:5432}
RIG_DB=${RIG_DB:-spider_web_rig}
N=${RIG_INSTANCES:-3}
NGINX_PORT=${RIG_NGINX_PORT:-18080}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

port_of() { echo $((NGINX_PORT + $1)); }
pid_of() { cat "$RIG_DIR/$1.pid" 2>/dev/null || true; }
alive() { local pid; pid=$(pid_of "$1"); [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; }
ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$(port_of "$1")/readyz") = 200 ]]; }
nginx_cmd() { "$NGINX" -p "$RIG_DIR" -c "$RIG_DIR/nginx.conf" -e "$RIG_DIR/nginx-error.log" "$@"; }

start_instance() {
    local i=$1 port
    port=$(port_of "$i")
    mkdir -p "$RIG_DIR/i$i"
    (
        export DATABASE_URL="$RIG_PG/$RIG_DB" BIND="127.0.0.1:$port" DATA_DIR="$RIG_DIR/i$i" \
            JWT_SECRET="$(cat "$RIG_DIR/jwt-secret")" TRUSTED_PROXIES=127.0.0.1 \
            PUBLIC_URL="http://127.0.0.1:$NGINX_PORT"
        exec "$BIN" serve >>"$RIG_DIR/i$i.log" 2>&1
    ) &
    echo $! >"$RIG_DIR/i$i.pid"
}

wait_ready() {
    local i=$1
    for _ in $(seq 1 150); do
        ready "$i" && return 0
        alive "i$i" || break
        sleep 0.1
    done
    echo "rig: instance $i did not become ready; its log:" >&2
    tail -20 "$RIG_DIR/i$i.log" >&2
    return 1
}

# The upstream servers, `down` for those whose /readyz fails (unless all do:
# then nginx keeps trying them all and the instances' own 503 answers).
render_upstreams() {
    local i lines="" any_ready=0 state=()
    for i in $(seq 1 "$N"); do
        if ready "$i"; then state[i]=up; any_ready=1; else state[i]=down; fi
    done
    for i in $(seq 1 "$N"); do
        lines+="server 127.0.0.1:$(port_of "$i") max_fails=1 fail_timeout=5s"
        [[ ${state[i]} = down && $any_ready = 1 ]] && lines+=" down"
        lines+=$';\n'
    done
    printf '%s' "$lines"
}

watch_loop() {
    while true; do
        local next
        next=$(render_upstreams)
        if [[ $next != "$(cat "$RIG_DIR/upstream.conf")" ]]; then
            printf '%s' "$next" >"$RIG_DIR/upstream.conf"
            nginx_cmd -s reload 2>>"$RIG_DIR/watch.log" || true
            echo "$(date +%T.%3N) upstreams now: $(grep -c down "$RIG_DIR/upstream.conf" || true) down" >>"$RIG_DIR/watch.log"
        fi
        sleep 1
    done
}

cmd_start() {
    [[ -x $BIN ]] || { echo "rig: no server binary at $BIN (cargo build --release, or set SPIDER_WEB_BIN)" >&2; exit 1; }
    [[ -x $NGINX ]] || { echo "rig: nginx not found (apt-get install nginx)" >&2; exit 1; }
    if alive nginx-master; then echo "rig: already running (deploy/rig.sh stop first)" >&2; exit 1; fi
    mkdir -p "$RIG_DIR/nginx-tmp"
    chmod 755 "$RIG_DIR"
    PGOPTIONS='-c client_min_messages=warning' \
        psql "$RIG_PG/postgres" -qc "DROP DATABASE IF EXISTS $RIG_DB WITH (FORCE)" -c "CREATE DATABASE $RIG_DB"
    python3 -c 'import secrets; print(secrets.token_hex(32))' >"$RIG_DIR/jwt-secret"
    chmod 600 "$RIG_DIR/jwt-secret"
    # Together: they race to migrate, which the server serialises.
    for i in $(seq 1 "$N"); do start_instance "$i"; done
    for i in $(seq 1 "$N"); do wait_ready "$i"; done
    sed -e "s|@RIG_DIR@|$RIG_DIR|g" -e "s|@NGINX_PORT@|$NGINX_PORT|g" \
        "$ROOT/deploy/nginx.conf" >"$RIG_DIR/nginx.conf"
    render_upstreams >"$RIG_DIR/upstream.conf"
    nginx_cmd -t -q
    # In the foreground of a background job: no system service, its own pid.
    "$NGINX" -p "$RIG_DIR" -c "$RIG_DIR/nginx.conf" -e "$RIG_DIR/nginx-error.log" -g 'daemon off;' &
    echo $! >"$RIG_DIR/nginx-master.pid"
    for _ in $(seq 1 50); do
        curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/healthz" && break
        sleep 0.1
    done
    "$0" watch >>"$RIG_DIR/watch.log" 2>&1 &
    echo $! >"$RIG_DIR/watch.pid"
    echo "rig: $N instances on 127.0.0.1:$(port_of 1)-$(port_of "$N"), nginx on http://127.0.0.1:$NGINX_PORT, database $RIG_DB"
}

stop_pid() {
    local name=$1 signal=${2:-TERM} pid
    pid=$(pid_of "$name")
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -"$signal" "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$RIG_DIR/$name.pid"
}

cmd_stop() {
    stop_pid watch
    stop_pid nginx-master QUIT
    rm -f "$RIG_DIR/nginx.pid"
    for i in $(seq 1 "$N"); do stop_pid "i$i"; done
    if [[ ${RIG_KEEP_DB:-0} != 1 ]]; then
        psql "$RIG_PG/postgres" -qc "DROP DATABASE IF EXISTS $RIG_DB WITH (FORCE)" || true
    fi
    echo "rig: stopped (logs in $RIG_DIR)"
}

cmd_status() {
    local i pid rotation
    for i in $(seq 1 "$N"); do
        pid=$(pid_of "i$i")
        alive "i$i" || pid="-"
        rotation=in
        grep -q "$(port_of "$i").* down" "$RIG_DIR/upstream.conf" 2>/dev/null && rotation=out
        printf 'instance %d  127.0.0.1:%d  pid %-7s readyz %s  rotation %s\n' "$i" "$(port_of "$i")" "$pid" \
            "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$(port_of "$i")/readyz")" "$rotation"
    done
    printf 'nginx       127.0.0.1:%d  pid %-7s readyz %s\n' "$NGINX_PORT" "$(alive nginx-master && pid_of nginx-master || echo -)" \
        "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$NGINX_PORT/readyz")"
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    watch) watch_loop ;;
    kill)
        [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "usage: rig.sh kill N" >&2; exit 1; }
        kill -9 "$(pid_of "i$2")"
        ;;
    revive)
        [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "usage: rig.sh revive N" >&2; exit 1; }
        start_instance "$2"
        wait_ready "$2"
        ;;
    *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 1 ;;
esac
