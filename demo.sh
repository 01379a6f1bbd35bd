#!/usr/bin/env bash
# The main job, end to end on a local cluster: the seed exercise with both of its tables.
#   ./demo.sh [--rows N] [--events N] [--port 9700] [--dir /tmp/pgload-demo] [--ui-port 8080] [--keep]
# Brings up a coordinator + 2 workers; distributes payment_users and payment_events (colocated, 32 shards) and
# creates the reference table merchants; generates users.csv, events.csv and merchants.csv, serves them over HTTP on
# loopback and loads each with pgload; counts; then adds a 3rd worker, asks pgmove, rebalances (colocated shards move
# together, the reference table stays), and counts again. `pgmove ui` (the Shard rebalancer page) runs from the end
# of the load on; --keep leaves it and the cluster running.
set -euo pipefail
cd "$(dirname "$0")"
ROWS=1000000 EVENTS=1000000 MERCHANTS=1000 PORT=9700 DIR=/tmp/pgload-demo KEEP=0 UI_PORT=8080
usage() { echo "usage: $0 [--rows N] [--events N] [--port P] [--dir DIR] [--ui-port P] [--keep]"; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "$0: $1 needs a value" >&2; usage >&2; exit 2; }; }
need_number() { [[ $2 =~ ^[0-9]+$ ]] || { echo "$0: $1 needs a number, got '$2'" >&2; usage >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) need_value "$@"; need_number "$1" "$2"; ROWS=$2; shift 2 ;;
    --events) need_value "$@"; need_number "$1" "$2"; EVENTS=$2; shift 2 ;;
    --port) need_value "$@"; need_number "$1" "$2"; PORT=$2; shift 2 ;;
    --dir) need_value "$@"; DIR=$2; shift 2 ;;
    --ui-port) need_value "$@"; need_number "$1" "$2"; UI_PORT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "$0: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if [ -t 1 ]; then step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }; else step() { printf '\n== %s\n' "$*"; }; fi

step "install dependencies and build (skipped when already built)"
if [ ! -x build/pgload ] || [ ! -x build/pgmove ]; then
  scripts/install-deps
  scripts/build
fi
B=$PWD/build

step "start the local cluster: coordinator on $PORT, 2 workers"
cluster/pgcluster destroy --dir "$DIR" >/dev/null 2>&1 || true
CONN=$(cluster/pgcluster up --dir "$DIR" --workers 2 --port "$PORT" | tail -n 1)
echo "coordinator: $CONN"
SERVER_PIDS=()
UI_PID=""
cleanup() {
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then
    [ -n "$UI_PID" ] && echo "pgmove ui kept running (pid $UI_PID): $(sed -n 's/^open //p' "$DIR/ui.log")"
    echo "cluster kept in $DIR (cluster/pgcluster destroy --dir $DIR)"
  else
    [ -n "$UI_PID" ] && kill "$UI_PID" 2>/dev/null || true
    cluster/pgcluster destroy --dir "$DIR" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
q() { psql "$CONN" -v ON_ERROR_STOP=1 -X -q "$@"; }

step "create the seed's tables: payment_users and payment_events distributed by user_id (colocated), merchants as a reference table"
q -e -c "CREATE TABLE payment_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text);" \
      -c "SELECT create_distributed_table('payment_users','user_id');" \
      -c "CREATE TABLE payment_events (event_id bigint, event_type text, user_id bigint, merchant_id bigint,
            event_details jsonb, created_at timestamp, PRIMARY KEY (event_id, user_id));" \
      -c "SELECT create_distributed_table('payment_events','user_id', colocate_with := 'payment_users');" \
      -c "CREATE TABLE merchants (merchant_id bigint PRIMARY KEY, name text, country text);" \
      -c "SELECT create_reference_table('merchants');"

step "generate users.csv ($ROWS rows), events.csv ($EVENTS rows), merchants.csv ($MERCHANTS rows)"
"$B/bench/gen_users" --rows "$ROWS" --out "$DIR/users.csv"
"$B/bench/gen_users" --kind events --rows "$EVENTS" --users "$ROWS" --merchants "$MERCHANTS" --shuffle --out "$DIR/events.csv"
"$B/bench/gen_users" --kind merchants --rows "$MERCHANTS" --out "$DIR/merchants.csv"
ls -l "$DIR"/*.csv
head -n 1 "$DIR/events.csv"

# serve FILE: starts a loopback HTTP server for FILE and prints its URL.
serve() {
  local out="$DIR/serve-$(basename "$1").out"
  "$B/bench/serve_file" --file "$1" --port 0 > "$out" &
  SERVER_PIDS+=($!)
  for _ in $(seq 50); do grep -q listening "$out" 2>/dev/null && break; sleep 0.1; done
  echo "http://$(sed -n 's/^listening on //p' "$out" | head -n 1)/$(basename "$1")"
}
for t in users events merchants; do
  case $t in users) table=payment_users ;; events) table=payment_events ;; merchants) table=merchants ;; esac
  url=$(serve "$DIR/$t.csv")
  step "pgload --url $url --table $table"
  "$B/pgload" --coordinator "$CONN" --url "$url" --table "$table"
done

counts() {
  q -c "SELECT (SELECT COUNT(*) FROM payment_users) AS payment_users,
               (SELECT COUNT(*) FROM payment_events) AS payment_events,
               (SELECT COUNT(*) FROM merchants) AS merchants;"
}
shards_per_node() {
  q -c "SELECT n.nodename || ':' || n.nodeport AS node, count(*) FILTER (WHERE p.logicalrelid = 'payment_users'::regclass) AS payment_users,
               count(*) FILTER (WHERE p.logicalrelid = 'payment_events'::regclass) AS payment_events,
               count(*) FILTER (WHERE p.logicalrelid = 'merchants'::regclass) AS merchants
        FROM (pg_dist_placement JOIN pg_dist_shard USING (shardid)) p JOIN pg_dist_node n USING (groupid)
        GROUP BY 1 ORDER BY 1;"
}
step "SELECT COUNT(*) of each table (through the coordinator)"
counts
step "shards per node"
shards_per_node

step "pgmove ui: the Shard rebalancer page (live while the demo goes on)"
"$B/pgmove" --coordinator "$CONN" ui --listen "127.0.0.1:$UI_PORT" > "$DIR/ui.log" 2>&1 &
UI_PID=$!
for _ in $(seq 50); do grep -q '^open ' "$DIR/ui.log" 2>/dev/null && break; sleep 0.1; done
if grep -q '^open ' "$DIR/ui.log"; then
  echo "open $(sed -n 's/^open //p' "$DIR/ui.log")"
else
  echo "pgmove ui did not start:"; cat "$DIR/ui.log"; UI_PID=""
fi

step "pgmove status (two workers)"
"$B/pgmove" --coordinator "$CONN" status

step "add a third worker"
cluster/pgcluster add-worker --dir "$DIR"

step "pgmove status"
"$B/pgmove" --coordinator "$CONN" status

step "pgmove rebalance"
"$B/pgmove" --coordinator "$CONN" rebalance

step "pgmove status"
"$B/pgmove" --coordinator "$CONN" status

step "after the rebalance: rows (unchanged) and shards per node (colocated shards together, merchants everywhere)"
counts
shards_per_node
q -c "SELECT count(*) AS colocated_pairs_apart FROM pg_dist_shard u JOIN pg_dist_shard e
        ON u.logicalrelid = 'payment_users'::regclass AND e.logicalrelid = 'payment_events'::regclass
       AND u.shardminvalue = e.shardminvalue
      JOIN pg_dist_placement pu ON pu.shardid = u.shardid JOIN pg_dist_placement pe ON pe.shardid = e.shardid
      WHERE pu.groupid <> pe.groupid;"
echo
echo "demo finished"
