#!/usr/bin/env bash
# HTTP throughput benchmark (wrk): builds the server (release), starts it on a
# free 127.0.0.1 port with RATE_LIMITS=off and a throw-away DATA_DIR (SQLite, or
# a throw-away PostgreSQL database with --postgres) -- or uses a server already
# running at URL --, seeds a user, a profile and N cards (and, for S8/S8rest,
# a conversation on each card: replies and reactions by 3 more users), runs
# the scenarios with wrk and prints a markdown table: req/s, p50, p99, errors
# and the server's peak RSS (VmHWM), with the issue's targets marked met / missed.
#
# Usage: bench/run.sh [options] [URL]
#   --postgres            temporary database on BENCH_PG_URL instead of SQLite
#   --cards N             cards to seed (default 1000)
#   --seed rest|sql       how to seed them: REST POSTs (default up to 5000 cards)
#                         or direct SQL into `cards` (default above 5000; needs
#                         the server this script starts)
#   --replies R           replies per card in the seeded conversations (default
#                         5; 0 seeds none); conversations (R replies and 1-3
#                         reactions per card) are seeded only when S8 or S8rest
#                         runs, by the same means as the cards (REST or SQL)
#   --analyze             run ANALYZE once everything is seeded (the server never
#                         does; SQL seeding always does), so the planner has
#                         statistics; needs the server this script starts
#   --duration D          wrk duration of each scenario (default 10s)
#   --scenarios LIST      comma-separated subset of
#                         S7,S1,S2,S2deep,S5,S6,S8,S8rest,S3,S4,S4reads
#                         (default: all, in that order)
#   URL                   benchmark this running server (e.g. http://127.0.0.1:8000);
#                         it must run with RATE_LIMITS=off; give its pid in
#                         BENCH_SERVER_PID to get its RSS
# Environment:
#   CARGO_TARGET_DIR      where cargo builds (default: <repo>/target)
#   BENCH_PG_URL          PostgreSQL server for --postgres
#                         (default: postgres://postgres@127.0.0.1:5432)
#   BENCH_NO_BUILD=1      skip the cargo build
#   BENCH_SERVER_BIN      run this server binary instead of the one built here
#   BENCH_CONNECTIONS     wrk connections (default 64; S4 always 16)
#   BENCH_THREADS         wrk threads (default 2)
#   BENCH_SERVER_LOG      copy the server's stderr log to this file at the end
#   BENCH_SERVER_PID      pid of the server at URL (for its RSS)
#
# Exit status: 0 when every scenario ran (targets met or not), 1 on a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $TARGET = /* ]] || TARGET=$ROOT/$TARGET
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
WRK_DIR=$ROOT/bench/wrk

postgres=0
cards=1000
seed=
duration=10s
replies=5
analyze=0
scenarios=S7,S1,S2,S2deep,S5,S6,S8,S8rest,S3,S4,S4reads
url=
while [[ $# -gt 0 ]]; do
    case $1 in
        --postgres) postgres=1 ;;
        --cards) cards=$2; shift ;;
        --seed) seed=$2; shift ;;
        --replies) replies=$2; shift ;;
        --analyze) analyze=1 ;;
        --duration) duration=$2; shift ;;
        --scenarios) scenarios=$2; shift ;;
        -h | --help) sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        http://* | https://*) url=${1%/} ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 1 ;;
    esac
    shift
done
[[ $cards =~ ^[0-9]+$ && $cards -ge 1 ]] || { echo "run.sh: --cards needs a positive integer" >&2; exit 1; }
[[ $replies =~ ^[0-9]+$ ]] || { echo "run.sh: --replies needs a non-negative integer" >&2; exit 1; }
[[ -n $seed ]] || { if [[ $cards -le 5000 ]]; then seed=rest; else seed=sql; fi; }
if [[ $analyze = 1 && -n $url ]]; then
    echo "run.sh: --analyze needs the server this script starts (no URL)" >&2
    exit 1
fi
if [[ $seed = sql && -n $url ]]; then
    echo "run.sh: --seed sql needs the server this script starts (no URL)" >&2
    exit 1
fi

say() { echo "run.sh: $*" >&2; }
command -v wrk >/dev/null || { say "wrk is missing: apt-get install -y wrk"; exit 1; }
command -v curl >/dev/null || { say "curl is missing"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-run.XXXXXX")
LOG=$WORK/server.log
SERVER_PID=${BENCH_SERVER_PID:-}
OWN_SERVER=0
PG_DB=

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ $OWN_SERVER = 1 && -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
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
    if [[ -n ${BENCH_SERVER_LOG:-} && -f $LOG ]]; then
        cp "$LOG" "$BENCH_SERVER_LOG" && say "server log kept in $BENCH_SERVER_LOG"
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

# --- server ------------------------------------------------------------------
DB_LABEL="server at $url"
if [[ -z $url ]]; then
    if [[ -z ${BENCH_NO_BUILD:-} && -z ${BENCH_SERVER_BIN:-} ]]; then
        say "building spider-web (release)"
        (cd "$ROOT" && cargo build --release -p spider-web --bin spider-web)
    fi
    SERVER_BIN=${BENCH_SERVER_BIN:-$TARGET/release/spider-web}
    [[ -x $SERVER_BIN ]] || { say "missing $SERVER_BIN"; exit 1; }
    mkdir -p "$WORK/data"
    if [[ $postgres = 1 ]]; then
        PG_DB=bench_run_$$
        psql "$PG_URL/postgres" -qXc "CREATE DATABASE $PG_DB" >/dev/null
        DB_URL=$PG_URL/$PG_DB
        DB_LABEL="PostgreSQL $(psql "$PG_URL/postgres" -qXAtc 'SHOW server_version' | cut -d' ' -f1)"
    else
        DB_URL="sqlite://$WORK/data/spider-web.db?mode=rwc"
        DB_LABEL="SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '')"
    fi
    say "database: $DB_URL"
    # Long-lived access tokens: the whole run uses the tokens taken at seeding.
    env BIND=127.0.0.1:0 DATA_DIR="$WORK/data" DATABASE_URL="$DB_URL" RATE_LIMITS=off \
        ACCESS_TOKEN_TTL=86400 "$SERVER_BIN" serve 2>"$LOG" &
    SERVER_PID=$!
    OWN_SERVER=1
    ADDR=
    for _ in $(seq 1 600); do
        ADDR=$(grep -o 'listening addr=127\.0\.0\.1:[0-9]*' "$LOG" 2>/dev/null | head -n1 | cut -d= -f2 || true)
        # With RUST_LOG above info the line is not logged: ask the kernel.
        [[ -n $ADDR ]] || ADDR=$(ss -Hltnp 2>/dev/null | grep "pid=$SERVER_PID," | awk '{print $4}' | grep '^127\.0\.0\.1:' | head -n1 || true)
        [[ -n $ADDR ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z $ADDR ]]; then
        say "the server did not start listening within 60 s; its log:"
        tail -n 50 "$LOG" >&2
        exit 1
    fi
    url=http://$ADDR
    say "server pid $SERVER_PID listening on $ADDR"
else
    : >"$LOG"
    curl -fsS -o /dev/null "$url/healthz" || { say "no server answers $url/healthz"; exit 1; }
fi

ticks() { # CPU clock ticks (user + system) of processes: pids on stdin
    local total=0 pid t
    while read -r pid; do
        t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + ${t:-0}))
    done
    echo "$total"
}
server_ticks() { [[ -n $SERVER_PID ]] && echo "$SERVER_PID" | ticks || echo 0; }
# Every PostgreSQL process on this machine (the backends serve only us here).
db_ticks() { [[ $postgres = 1 ]] && pgrep -x postgres | ticks || echo 0; }
HZ=$(getconf CLK_TCK)
rss() { # "<VmHWM MiB> <VmRSS MiB>" of the server, or "n/a n/a"
    if [[ -n $SERVER_PID && -r /proc/$SERVER_PID/status ]]; then
        awk '/^VmHWM:/ {h = $2} /^VmRSS:/ {r = $2} END {printf "%.1f %.1f", h / 1024, r / 1024}' "/proc/$SERVER_PID/status"
    else
        echo "n/a n/a"
    fi
}
json_field() { sed -nE "s/.*\"$1\":\"([^\"]+)\".*/\1/p"; }

# --- seed ----------------------------------------------------------------------
tag=$(date +%s)$$
USER_NAME=bench$tag
PASSWORD=bench-password-$tag
reg=$(curl -sS -X POST "$url/api/auth/register/" -H 'content-type: application/json' \
    -d "{\"username\":\"$USER_NAME\",\"email\":\"$USER_NAME@example.com\",\"password1\":\"$PASSWORD\",\"password2\":\"$PASSWORD\"}")
TOKEN=$(json_field access <<<"$reg")
USER_ID=$(sed -nE 's/.*"user":\{[^}]*"id":"([^"]+)".*/\1/p' <<<"$reg")
[[ -n $TOKEN && -n $USER_ID ]] || { say "registration failed: $reg"; exit 1; }
curl -fsS -o /dev/null -X POST "$url/api/profiles/" -H 'content-type: application/json' \
    -H "authorization: Bearer $TOKEN" -d "{\"display_name\":\"Bench $tag\",\"bio\":\"bench/run.sh\"}" ||
    { say "profile creation failed"; exit 1; }
say "user $USER_NAME ($USER_ID) with a profile; seeding $cards cards by $seed"

# Conversations (S8, S8rest): three more users write the replies; the
# reactions come from all four, the bench user (whose token S8 uses) among
# them, so `reacted` is true on some cards and false on others.
conv=0
[[ $replies -gt 0 && ,$scenarios, =~ ,S8(rest)?, ]] && conv=1
CONV_TOKENS=() CONV_IDS=()
if [[ $conv = 1 ]]; then
    for n in 1 2 3; do
        name=${USER_NAME}_r$n
        r=$(curl -sS -X POST "$url/api/auth/register/" -H 'content-type: application/json' \
            -d "{\"username\":\"$name\",\"email\":\"$name@example.com\",\"password1\":\"$PASSWORD\",\"password2\":\"$PASSWORD\"}")
        CONV_TOKENS+=("$(json_field access <<<"$r")")
        CONV_IDS+=("$(sed -nE 's/.*"user":\{"id":"([^"]+)".*/\1/p' <<<"$r")")
        [[ -n ${CONV_TOKENS[-1]} && -n ${CONV_IDS[-1]} ]] || { say "registration of $name failed: $r"; exit 1; }
    done
    say "users ${USER_NAME}_r1..3 for the conversations: $replies replies and 1-3 reactions per card"
    # S3 puts tens of thousands of new cards, without conversations, on the
    # first page: S8 must run before it to see the seeded threads.
    case ,$scenarios, in
        *,S3,*S8*) say "warning: S3 runs before S8/S8rest: their first page will hold S3's cards, without conversations" ;;
    esac
fi

seed_start=$(date +%s.%N)
if [[ $seed = rest ]]; then
    # 8 curl processes in parallel, each posting one card; bounded by --cards.
    export url TOKEN
    seq 1 "$cards" | xargs -P 8 -I{} sh -c \
        'curl -sS -o /dev/null -w "%{http_code}\n" -X POST "$url/api/cards/" -H "content-type: application/json" -H "authorization: Bearer $TOKEN" -d "{\"title\":\"Seed card {}\",\"body\":\"Body of seeded card number {}, written by bench/run.sh.\",\"visibility\":\"public\"}"' \
        >"$WORK/seed-codes"
    bad=$(grep -vc '^201$' "$WORK/seed-codes" || true)
    [[ $bad = 0 ]] || { say "$bad of $cards seeding POSTs did not answer 201:"; sort "$WORK/seed-codes" | uniq -c >&2; exit 1; }
else
    # Direct SQL: one statement, one transaction. Cards are 1 ms apart, ending an
    # hour ago; ids are random 16-byte values (any bytes are a valid uuid).
    base=$(($(date +%s) - cards / 1000 - 3600))
    owner_hex=${USER_ID//-/}
    if [[ $postgres = 1 ]]; then
        psql "$DB_URL" -qXv ON_ERROR_STOP=1 <<SQL
INSERT INTO cards (id, owner_id, title, body, title_folded, body_folded, visibility, created_at, updated_at)
SELECT md5(random()::text || i::text)::uuid, '$USER_ID'::uuid,
       'Seed card ' || i, 'Body of seeded card number ' || i || ', written by bench/run.sh.',
       'seed card ' || i, 'body of seeded card number ' || i || ', written by bench/run.sh.',
       'public', t, t
FROM generate_series(1, $cards) AS i,
     LATERAL (SELECT to_timestamp($base) + i * interval '1 millisecond' + interval '7 microseconds' AS t) AS ts;
ANALYZE cards;
SQL
    else
        sqlite3 "$WORK/data/spider-web.db" <<SQL
.timeout 30000
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $cards)
INSERT INTO cards (id, owner_id, title, body, title_folded, body_folded, visibility, created_at, updated_at)
SELECT randomblob(16), X'$owner_hex',
       'Seed card ' || i, 'Body of seeded card number ' || i || ', written by bench/run.sh.',
       'seed card ' || i, 'body of seeded card number ' || i || ', written by bench/run.sh.',
       'public', t, t
FROM (SELECT i, strftime('%Y-%m-%dT%H:%M:%S', $base + i / 1000, 'unixepoch') || '.' ||
             printf('%06d', (i % 1000) * 1000 + 7) || '+00:00' AS t FROM s);
COMMIT;
ANALYZE;
SQL
    fi
fi
seed_secs=$(awk -v a="$seed_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
say "seeded $cards cards in $seed_secs s"

# Card ids for S1/S5: walk the anonymous list (100 a page), at most 2000 ids
# (all of the seeded ones when their conversations are seeded by REST).
pages=20
[[ $conv = 1 && $seed = rest && $cards -gt 2000 ]] && pages=$(((cards + 99) / 100))
: >"$WORK/all-ids"
next="$url/api/cards/?page_size=100"
for _ in $(seq 1 "$pages"); do
    page=$(curl -fsS "$next")
    grep -oE '"id":"[0-9a-f-]{36}","owner_id"' <<<"$page" | cut -d'"' -f4 >>"$WORK/all-ids"
    next=$(sed -nE 's/^\{"next":"([^"]+)".*/\1/p' <<<"$page")
    [[ -n $next ]] || break
done
head -n 2000 "$WORK/all-ids" >"$WORK/ids"
say "$(wc -l <"$WORK/ids") card ids for S1/S5"

# --- conversations (S8, S8rest) --------------------------------------------------
# Card i (1, 2, ... in the order below) gets R replies, reply j written by user
# r$((1 + (i + j) % 3)) (so 3 authors when R >= 3), and 1 + i % 3 reactions,
# reaction k (0..2) by user (i + k) % 4 (0 = the bench user, 1..3 = r1..r3:
# different users) with emoji EMOJI[i % 5] for k = 0, 1 (a count of 2) and
# EMOJI[(i + 1) % 5] for k = 2. By REST: one curl process, 16 transfers in
# flight over kept-alive connections (as 16 clients); by SQL: two statements
# (the triggers keep `reply_count`; on PostgreSQL they are off for the seeding
# session, so that a million replies do not queue a million notifications, and
# the count is set by one UPDATE).
EMOJI=(👍 🎉 🚀 👀 😂)
if [[ $conv = 1 ]]; then
    conv_start=$(date +%s.%N)
    if [[ $seed = rest ]]; then
        head -n "$cards" "$WORK/all-ids" >"$WORK/conv-ids"
        [[ $(wc -l <"$WORK/conv-ids") -ge $cards ]] ||
            say "warning: the list gave $(wc -l <"$WORK/conv-ids") card ids for $cards cards"
        # A curl config file: one block per request, `next` between them (not
        # after the last: an empty block is an error that aborts the others).
        awk -v url="$url" -v R="$replies" -v e="${EMOJI[*]}" \
            -v t0="$TOKEN" -v t1="${CONV_TOKENS[0]}" -v t2="${CONV_TOKENS[1]}" -v t3="${CONV_TOKENS[2]}" '
            function post(path, token, data) {
                if (blocks++) print "next"
                printf "url = \"%s/api/cards/%s/%s/\"\n", url, id, path
                printf "request = \"POST\"\nheader = \"content-type: application/json\"\n"
                printf "header = \"authorization: Bearer %s\"\n", token
                printf "data = \"%s\"\noutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\n", data
            }
            BEGIN { split(e, E, " "); T[0] = t0; T[1] = t1; T[2] = t2; T[3] = t3 }
            {
                i = NR; id = $1
                for (j = 1; j <= R; j++)
                    post("replies", T[1 + (i + j) % 3],
                         sprintf("{\\\"body\\\":\\\"Reply %d to seeded card %d, from bench/run.sh.\\\"}", j, i))
                for (k = 0; k <= i % 3; k++)
                    post("reactions", T[(i + k) % 4],
                         sprintf("{\\\"emoji\\\":\\\"%s\\\"}", E[1 + (k < 2 ? i % 5 : (i + 1) % 5)]))
            }' "$WORK/conv-ids" >"$WORK/conv.curl"
        expected=$(grep -c '^url' "$WORK/conv.curl")
        curl -sS --parallel --parallel-max 16 -K "$WORK/conv.curl" >"$WORK/conv-codes" 2>"$WORK/conv-err" || true
        got=$(grep -cE '^20[01]$' "$WORK/conv-codes" || true)
        if [[ $got != "$expected" ]]; then
            say "$((expected - got)) of $expected conversation POSTs did not answer 201/200:"
            sort "$WORK/conv-codes" | uniq -c >&2
            tr '\r' '\n' <"$WORK/conv-err" | grep -v '^ *$' | sort | uniq -c | sort -rn | head -n 5 >&2
            exit 1
        fi
    else
        u_hex=("${USER_ID//-/}" "${CONV_IDS[0]//-/}" "${CONV_IDS[1]//-/}" "${CONV_IDS[2]//-/}")
        if [[ $postgres = 1 ]]; then
            psql "$DB_URL" -qXv ON_ERROR_STOP=1 <<SQL
BEGIN;
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE c ON COMMIT DROP AS
    SELECT id, row_number() OVER (ORDER BY created_at, id) AS i FROM cards WHERE owner_id = '$USER_ID';
INSERT INTO replies (id, card_id, author_id, body, created_at, updated_at)
SELECT md5(random()::text || c.i || ':' || j)::uuid, c.id,
       (ARRAY['${CONV_IDS[0]}', '${CONV_IDS[1]}', '${CONV_IDS[2]}']::uuid[])[1 + (c.i + j) % 3],
       'Reply ' || j || ' to seeded card ' || c.i || ', from bench/run.sh.', t, t
FROM c, generate_series(1, $replies) AS j,
     LATERAL (SELECT now() - interval '10 minutes' + j * interval '1 second' AS t) AS ts;
UPDATE cards SET reply_count = reply_count + $replies WHERE id IN (SELECT id FROM c);
INSERT INTO reactions (card_id, emoji, user_id, created_at)
SELECT c.id, (ARRAY['${EMOJI[0]}', '${EMOJI[1]}', '${EMOJI[2]}', '${EMOJI[3]}', '${EMOJI[4]}'])[1 + CASE WHEN k < 2 THEN c.i % 5 ELSE (c.i + 1) % 5 END],
       (ARRAY['$USER_ID', '${CONV_IDS[0]}', '${CONV_IDS[1]}', '${CONV_IDS[2]}']::uuid[])[1 + (c.i + k) % 4],
       now() - interval '5 minutes'
FROM c, generate_series(0, 2) AS k WHERE k <= c.i % 3;
COMMIT;
ANALYZE cards; ANALYZE replies; ANALYZE reactions;
SQL
        else
            rbase=$(($(date +%s) - 600))
            sqlite3 "$WORK/data/spider-web.db" <<SQL
.timeout 30000
BEGIN;
CREATE TEMP TABLE c AS
    SELECT id, row_number() OVER (ORDER BY created_at, id) AS i FROM cards WHERE owner_id = X'${u_hex[0]}';
CREATE TEMP TABLE u (n INTEGER PRIMARY KEY, id BLOB);
INSERT INTO u VALUES (0, X'${u_hex[0]}'), (1, X'${u_hex[1]}'), (2, X'${u_hex[2]}'), (3, X'${u_hex[3]}');
CREATE TEMP TABLE e (n INTEGER PRIMARY KEY, emoji TEXT);
INSERT INTO e VALUES (0, '${EMOJI[0]}'), (1, '${EMOJI[1]}'), (2, '${EMOJI[2]}'), (3, '${EMOJI[3]}'), (4, '${EMOJI[4]}');
WITH RECURSIVE r(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM r WHERE j < $replies)
INSERT INTO replies (id, card_id, author_id, body, created_at, updated_at)
SELECT randomblob(16), c.id, u.id, 'Reply ' || r.j || ' to seeded card ' || c.i || ', from bench/run.sh.',
       strftime('%Y-%m-%dT%H:%M:%S', $rbase + r.j, 'unixepoch') || '.000007+00:00',
       strftime('%Y-%m-%dT%H:%M:%S', $rbase + r.j, 'unixepoch') || '.000007+00:00'
FROM c CROSS JOIN r JOIN u ON u.n = 1 + (c.i + r.j) % 3;
WITH RECURSIVE k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < 2)
INSERT INTO reactions (card_id, emoji, user_id, created_at)
SELECT c.id, e.emoji, u.id, strftime('%Y-%m-%dT%H:%M:%S', $rbase + 300, 'unixepoch') || '.000007+00:00'
FROM c JOIN k ON k.k <= c.i % 3 JOIN u ON u.n = (c.i + k.k) % 4
     JOIN e ON e.n = CASE WHEN k.k < 2 THEN c.i % 5 ELSE (c.i + 1) % 5 END;
COMMIT;
ANALYZE;
SQL
        fi
    fi
    conv_secs=$(awk -v a="$conv_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    say "seeded the conversations ($replies replies and 1-3 reactions on each of $cards cards) by $seed in $conv_secs s"
    # Check the first page as S8 and S8rest will read it: every card with its
    # R replies counted, its first min(R, 3) replies with authors, reactions.
    S8_QUERY='{ cards(first: 20) { nodes { id title replyCount reactions { emoji count reacted } owner { username } replies(first: 3) { nodes { id body author { username } } } } } }'
    on_page=$((cards < 20 ? cards : 20))
    gql=$(curl -fsS "$url/graphql" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
        -d "{\"query\":\"$S8_QUERY\"}")
    rest=$(curl -fsS "$url/api/cards/?page_size=20" -H "authorization: Bearer $TOKEN")
    times_in() { { grep -o -- "$1" <<<"$2" || true; } | wc -l; }
    n_count=$(times_in "\"replyCount\":$replies[,}]" "$gql")
    n_replies=$(times_in '"author":{"username"' "$gql")
    n_cards_reacted=$(times_in '"reactions":\[{"' "$gql")
    n_mine=$(times_in '"reacted":true' "$gql")
    n_rest=$(times_in "\"reply_count\":$replies[,}]" "$rest")
    n_rest_reacted=$(times_in '"reactions":\[{"' "$rest")
    say "first page: $n_count of $on_page cards with replyCount $replies, $n_replies replies with authors," \
        "$n_cards_reacted cards with reactions ($n_mine reacted by the bench user); REST: $n_rest with reply_count $replies, $n_rest_reacted with reactions"
    if [[ $n_count != "$on_page" || $n_replies != $((on_page * (replies < 3 ? replies : 3))) ||
        $n_cards_reacted != "$on_page" || $n_rest != "$on_page" || $n_rest_reacted != "$on_page" ]] ||
        grep -q '"errors"' <<<"$gql"; then
        say "the first page does not show the seeded conversations: $(head -c 600 <<<"$gql")"
        exit 1
    fi
fi

analyzed=
if [[ $analyze = 1 ]]; then
    if [[ $postgres = 1 ]]; then psql "$DB_URL" -qXc 'ANALYZE' >/dev/null
    else sqlite3 "$WORK/data/spider-web.db" '.timeout 30000' 'ANALYZE;'; fi
    analyzed=", ANALYZE after seeding"
    say "ANALYZE done"
fi

# The deep page: page 10,000 of page_size=20 (at 1k cards, the last page),
# its cursor built from the row just before it (REST cursor: 'n' + base64url of
# "<created_at µs>:<id hex>").
deep_cursor=
deep_page=
if [[ $OWN_SERVER = 1 && ,$scenarios, = *,S2deep,* ]]; then
    total=$cards
    deep_page=$(((total - 1) / 20 + 1))
    [[ $deep_page -le 10000 ]] || deep_page=10000
    offset=$(((deep_page - 1) * 20 - 1))
    if [[ $offset -ge 0 ]]; then
        if [[ $postgres = 1 ]]; then
            row=$(psql "$DB_URL" -qXAt -F ' ' -c "SELECT (extract(epoch FROM created_at) * 1000000)::bigint, replace(id::text, '-', '') FROM cards WHERE visibility = 'public' ORDER BY created_at DESC, id DESC LIMIT 2 OFFSET $offset")
        else
            row=$(sqlite3 -separator ' ' "$WORK/data/spider-web.db" "SELECT CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(created_at, 21, 6) AS INTEGER), lower(hex(id)) FROM cards WHERE visibility = 'public' ORDER BY created_at DESC, id DESC LIMIT 2 OFFSET $offset")
        fi
        # Row 1 gives the cursor; row 2 must be the first card of the page.
        first_expected=$(sed -n 2p <<<"$row" | cut -d' ' -f2)
        row=$(head -n1 <<<"$row")
        deep_cursor=n$(printf '%s' "${row/ /:}" | base64 -w0 | tr '+/' '-_' | tr -d '=')
        page=$(curl -fsS "$url/api/cards/?page_size=20&cursor=$deep_cursor")
        n=$(grep -o '"owner_id"' <<<"$page" | wc -l)
        first=$(grep -oE '"id":"[0-9a-f-]{36}","owner_id"' <<<"$page" | head -n1 | cut -d'"' -f4)
        if [[ ${first//-/} != "$first_expected" ]]; then
            say "deep page check failed: first card ${first:-none}, expected $first_expected"
            exit 1
        fi
        say "deep page $deep_page (cursor $deep_cursor): $n cards, starting at row $((offset + 2)) as expected"
    fi
fi

# Single-hash time for S4's target: 5 sequential logins on the idle server, median.
hash_ms=
if [[ ,$scenarios, = *,S4,* ]]; then
    times=()
    for _ in 1 2 3 4 5; do
        times+=("$(curl -sS -o /dev/null -w '%{time_total}' -X POST "$url/api/auth/login/" \
            -H 'content-type: application/json' -d "{\"username\":\"$USER_NAME\",\"password\":\"$PASSWORD\"}")")
    done
    hash_ms=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1 * 1000}')
    say "one login on the idle server (median of 5): $hash_ms ms"
fi

# --- scenarios -------------------------------------------------------------------
export BENCH_WRK_DIR=$WRK_DIR BENCH_TOKEN=$TOKEN BENCH_IDS=$WORK/ids \
    BENCH_USER=$USER_NAME BENCH_PASSWORD=$PASSWORD

to_ms() { # wrk durations (850.00us, 1.23ms, 2.00s, 1.50m) in ms
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

declare -A RPS P50 P99 ERR HWM DESC SCPU DCPU
run_one() { # name script connections [extra env]
    local name=$1 script=$2 conns=$3 out
    out=$WORK/$name.out
    say "$name: wrk -t$THREADS -c$conns -d$duration --latency ($script)"
    local sv0 db0 sv1 db1 reqs
    sv0=$(server_ticks); db0=$(db_ticks)
    if ! env "${@:4}" wrk -t"$THREADS" -c"$conns" -d"$duration" --timeout 5s --latency \
        -s "$WRK_DIR/$script" "$url" >"$out" 2>&1; then
        say "$name: wrk failed:"; cat "$out" >&2; return 1
    fi
    sv1=$(server_ticks); db1=$(db_ticks)
    RPS[$name]=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
    # CPU per request: ticks over the run ÷ requests wrk completed.
    reqs=$(awk '/requests in/ {print $1}' "$out")
    SCPU[$name]=$(awk -v t=$((sv1 - sv0)) -v n="${reqs:-0}" -v hz="$HZ" 'BEGIN {if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "?"}')
    DCPU[$name]=$(awk -v t=$((db1 - db0)) -v n="${reqs:-0}" -v hz="$HZ" -v pg="$postgres" 'BEGIN {if (pg != 1) print "—"; else if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "?"}')
    P50[$name]=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
    P99[$name]=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    local sock bad gql
    sock=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
    bad=$(sed -nE 's/^BENCH_CHECK bad_status=([0-9]+).*/\1/p' "$out")
    gql=$(sed -nE 's/.*gql_errors=([0-9]+).*/\1/p' "$out")
    ERR[$name]=$((${sock:-0} + ${bad:-0} + ${gql:-0}))
    DESC[$name]="socket ${sock:-0}, non-2xx ${bad:-0}, graphql ${gql:-0}"
    HWM[$name]=$(rss | cut -d' ' -f1)
    # Let the server finish what wrk left queued before the next scenario: wait
    # (at most 30 s) until /readyz, which takes a database connection, answers
    # within 100 ms.
    local waited=0
    for _ in $(seq 1 60); do
        t=$(curl -s -o /dev/null -m 2 -w '%{time_total}' "$url/readyz" || echo 9)
        awk -v t="$t" 'BEGIN {exit !(t < 0.1)}' && break
        waited=$((waited + 1)); sleep 0.5
    done
    [[ $waited = 0 ]] || say "$name: the server needed ~$((waited / 2)) s more to become idle (/readyz under 100 ms)"
    say "$name: ${RPS[$name]} req/s, p50 ${P50[$name]} ms, p99 ${P99[$name]} ms, errors ${ERR[$name]} (${DESC[$name]}), VmHWM ${HWM[$name]} MiB, CPU/request: server ${SCPU[$name]} µs, PostgreSQL ${DCPU[$name]} µs"
    sed 's/^/    /' "$out" >&2
}

rss_start=$(rss)
IFS=, read -ra list <<<"$scenarios"
for s in "${list[@]}"; do
    case $s in
        S7) run_one S7 s7_healthz.lua "$CONNS" ;;
        S1) run_one S1 s1_card.lua "$CONNS" ;;
        S2) run_one S2 s2_list.lua "$CONNS" ;;
        S2deep)
            if [[ -n $deep_cursor ]]; then run_one S2deep s2_list.lua "$CONNS" BENCH_CURSOR="$deep_cursor"
            else say "S2deep skipped (needs the server this script starts)"; fi ;;
        S5) run_one S5 s5_gql_card.lua "$CONNS" ;;
        S6) run_one S6 s6_gql_cards.lua "$CONNS" ;;
        S8 | S8rest)
            if [[ $conv = 1 ]]; then
                if [[ $s = S8 ]]; then run_one S8 s8_gql_conv.lua "$CONNS"; else run_one S8rest s8_rest_cards.lua "$CONNS"; fi
            else say "$s skipped (--replies 0: no conversations seeded)"; fi ;;
        S3) run_one S3 s3_create.lua "$CONNS" ;;
        S4) run_one S4 s4_login.lua 16 ;;
        S4reads)
            # Reads (S1's requests, 16 connections) while a login storm (S4's,
            # 16 connections) runs beside them for the same time.
            say "S4reads: login storm in the background: wrk -t1 -c16 -d$duration (s4_login.lua)"
            wrk -t1 -c16 -d"$duration" --timeout 5s -s "$WRK_DIR/s4_login.lua" "$url" >"$WORK/S4storm.out" 2>&1 &
            storm=$!
            run_one S4reads s1_card.lua 16
            wait "$storm" || true
            say "S4reads: the storm made $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$WORK/S4storm.out") logins/s" ;;
        *) say "unknown scenario $s"; exit 1 ;;
    esac
done
rss_end=$(rss)

# --- report ----------------------------------------------------------------------
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 >= b + 0)}'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 <= b + 0)}'; }
mark() { if "$@"; then echo met; else echo "**missed**"; fi; }
all() { local c; for c in "$@"; do eval "$c" || return 1; done; }

s1_min=20000; s3_min=4000
[[ $postgres = 1 ]] && { s1_min=12000; s3_min=3000; }

declare -A TGT VER
for s in "${list[@]}"; do
    [[ -n ${RPS[$s]:-} ]] || continue
    r=${RPS[$s]} p=${P99[$s]} e=${ERR[$s]}
    case $s in
        S1)
            t7=${RPS[S7]:-0}; need=$(awk -v a="$t7" 'BEGIN {printf "%.0f", a * 0.4}')
            TGT[$s]="≥ $s1_min req/s, ≥ 0.4×S7 ($need), p99 ≤ 10 ms"
            [[ $t7 = 0 ]] && TGT[$s]="≥ $s1_min req/s, p99 ≤ 10 ms (0.4×S7: S7 not run)"
            VER[$s]=$(mark all "ge $r $s1_min" "ge $r $need" "le $p 10") ;;
        S2)
            TGT[$s]="≥ 8,000 req/s, p99 ≤ 15 ms"
            VER[$s]=$(mark all "ge $r 8000" "le $p 15") ;;
        S2deep)
            TGT[$s]="(as S2) ≥ 8,000 req/s, p99 ≤ 15 ms"
            VER[$s]=$(mark all "ge $r 8000" "le $p 15") ;;
        S3)
            TGT[$s]="≥ $s3_min req/s, 0 errors"
            VER[$s]=$(mark all "ge $r $s3_min" "[[ $e = 0 ]]") ;;
        S4)
            need=$(awk -v n="$(nproc)" -v h="$hash_ms" 'BEGIN {printf "%.0f", 0.9 * n * 1000 / h}')
            TGT[$s]="≥ 0.9 × $(nproc) cores ÷ $hash_ms ms = $need req/s"
            VER[$s]=$(mark ge "$r" "$need") ;;
        S5)
            need=$(awk -v a="${RPS[S1]:-0}" 'BEGIN {printf "%.0f", a * 0.7}')
            TGT[$s]="≥ 0.7×S1 ($need req/s)"
            VER[$s]=$(mark ge "$r" "$need") ;;
        S4reads)
            TGT[$s]="p99 ≤ 25 ms during a login storm"
            VER[$s]=$(mark all "le $p 25" "[[ $e = 0 ]]") ;;
        S6)
            TGT[$s]="≥ 4,000 req/s"
            VER[$s]=$(mark ge "$r" 4000) ;;
        S8)
            if [[ -n ${RPS[S6]:-} ]]; then
                need=$(awk -v a="${RPS[S6]}" 'BEGIN {printf "%.0f", a * 0.5}')
                TGT[$s]="≥ 0.5×S6 ($need req/s)"
                VER[$s]=$(mark all "ge $r $need" "[[ $e = 0 ]]")
            else TGT[$s]="≥ 0.5×S6 (S6 not run)"; VER[$s]="—"; fi ;;
        S8rest)
            if [[ -n ${RPS[S1]:-} ]]; then
                need=$(awk -v a="${RPS[S1]}" 'BEGIN {printf "%.0f", a * 0.6}')
                TGT[$s]="≥ 0.6×S1 ($need req/s)"
                VER[$s]=$(mark all "ge $r $need" "[[ $e = 0 ]]")
            else TGT[$s]="≥ 0.6×S1 (S1 not run)"; VER[$s]="—"; fi ;;
        S7) TGT[$s]="(ceiling)"; VER[$s]="—" ;;
    esac
done

declare -A LABEL=(
    [S1]='S1 GET /api/cards/{id}/ (bearer, random ids)'
    [S2]='S2 GET /api/cards/?page_size=20 (anon)'
    [S2deep]="S2 deep: page ${deep_page:-?} by cursor (anon)"
    [S3]='S3 POST /api/cards/ (bearer)'
    [S4]='S4 POST /api/auth/login/ (16 conns)'
    [S4reads]='S4 reads: S1 with 16 conns during a login storm (16 conns)'
    [S5]='S5 GraphQL card(id) + owner (bearer)'
    [S6]='S6 GraphQL cards(first: 20) + owner + profile'
    [S8]="S8 GraphQL cards(first: 20) + replyCount, reactions, owner, replies(first: 3) + authors (bearer)"
    [S8rest]="S8rest GET /api/cards/?page_size=20 with reply_count, reactions (bearer)"
    [S7]='S7 GET /healthz (ceiling)'
)
echo
conv_label=
[[ $conv = 1 ]] && conv_label=" with conversations ($replies replies, 1-3 reactions each)"
echo "$DB_LABEL, $cards cards seeded ($seed)$conv_label$analyzed, wrk -t$THREADS -c$CONNS -d$duration (S4: -c16), $(nproc) cores ($(sed -nE 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n1)), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| scenario | req/s | p50 ms | p99 ms | errors | server VmHWM MiB | server CPU µs/req | PostgreSQL CPU µs/req | target | |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
for s in S1 S2 S2deep S3 S4 S4reads S5 S6 S8 S8rest S7; do
    [[ -n ${RPS[$s]:-} ]] || continue
    echo "| ${LABEL[$s]} | ${RPS[$s]} | ${P50[$s]} | ${P99[$s]} | ${ERR[$s]} | ${HWM[$s]} | ${SCPU[$s]} | ${DCPU[$s]} | ${TGT[$s]} | ${VER[$s]} |"
done
peak=${rss_end%% *}
if [[ $peak = n/a ]]; then
    echo; echo "server peak RSS: n/a (give BENCH_SERVER_PID for a server at a URL)"
else
    echo; echo "server peak RSS (VmHWM) over the run: $peak MiB (before the scenarios: ${rss_start%% *} MiB; VmRSS at the end ${rss_end##* } MiB); target ≤ 100 MiB: $(mark le "$peak" 100)"
fi
cards_now=$(curl -fsS "$url/graphql" -H 'content-type: application/json' \
    -d '{"query":"{ cards(first: 0) { totalCount } }"}' | sed -nE 's/.*"totalCount":([0-9]+).*/\1/p' || true)
echo "cards in the database at the end: ${cards_now:-?}"
if [[ $OWN_SERVER = 1 ]]; then
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "server: EXITED during the run; last lines of its log:"; tail -n 30 "$LOG"; exit 1
    fi
    problems=$(grep -cE ' (WARN|ERROR) ' "$LOG" || true)
    locked=$(grep -ci 'database is locked' "$LOG" || true)
    s5xx=$(grep -cE 'finished processing request .*status=5[0-9][0-9]' "$LOG" || true)
    s429=$(grep -cE 'finished processing request .*status=429' "$LOG" || true)
    echo "server log: $(wc -l <"$LOG") lines, $problems WARN/ERROR, $locked 'database is locked', $s5xx responses 5xx, $s429 responses 429"
    if [[ $problems -gt 0 ]]; then
        { grep -E ' (WARN|ERROR) ' "$LOG" | sed -E 's/^[^ ]+ +//; s/request_id=[0-9a-f-]+//' | cut -c1-220 |
            sort | uniq -c | sort -rn | head -n 10; } || true
    fi
fi
