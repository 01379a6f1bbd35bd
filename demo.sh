#!/usr/bin/env bash
# The main job, end to end on a local cluster: the seed exercise.
#   ./demo.sh [--rows N] [--port 9700] [--dir /tmp/pgload-demo] [--keep]
# Brings up a coordinator + 2 workers, distributes payment_users into 32 shards, generates users.csv, serves it
# over HTTP on loopback, loads it with pgload, counts; then adds a 3rd worker, asks pgmove, rebalances, counts.
set -euo pipefail
cd "$(dirname "$0")"
ROWS=1000000 PORT=9700 DIR=/tmp/pgload-demo KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--rows N] [--port P] [--dir DIR] [--keep]" >&2; exit 2 ;;
  esac
done
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

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
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  if [ "$KEEP" = 1 ]; then echo "cluster kept in $DIR (cluster/pgcluster destroy --dir $DIR)"; else cluster/pgcluster destroy --dir "$DIR" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
q() { psql "$CONN" -v ON_ERROR_STOP=1 -X -q "$@"; }

step "create and distribute payment_users (as in the seed)"
q -e -c "CREATE TABLE payment_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text);" \
      -c "SELECT create_distributed_table('payment_users','user_id');"

step "generate users.csv ($ROWS rows) and serve it over HTTP on loopback"
"$B/bench/gen_users" --rows "$ROWS" --out "$DIR/users.csv"
ls -l "$DIR/users.csv"
"$B/bench/serve_file" --file "$DIR/users.csv" --port 0 > "$DIR/serve.out" &
SERVER_PID=$!
for _ in $(seq 50); do grep -q listening "$DIR/serve.out" 2>/dev/null && break; sleep 0.1; done
URL="http://$(sed -n 's/^listening on //p' "$DIR/serve.out" | head -n 1)/users.csv"
echo "serving $URL"

step "pgload --url $URL --table payment_users"
"$B/pgload" --coordinator "$CONN" --url "$URL" --table payment_users

step "SELECT COUNT(*) FROM payment_users (through the coordinator)"
q -c "SELECT COUNT(*) FROM payment_users;"

step "shards per node"
q -c "SELECT n.nodename || ':' || n.nodeport AS node, count(*) AS shards
      FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) GROUP BY 1 ORDER BY 1;"

step "add a third worker"
cluster/pgcluster add-worker --dir "$DIR"

step "pgmove status"
"$B/pgmove" --coordinator "$CONN" status

step "pgmove rebalance"
"$B/pgmove" --coordinator "$CONN" rebalance

step "pgmove status"
"$B/pgmove" --coordinator "$CONN" status

step "after the rebalance: rows and shards per node"
q -c "SELECT COUNT(*) FROM payment_users;"
q -c "SELECT n.nodename || ':' || n.nodeport AS node, count(*) AS shards
      FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) GROUP BY 1 ORDER BY 1;"
echo
echo "demo finished"
