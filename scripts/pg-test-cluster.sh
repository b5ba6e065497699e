#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for tests and benchmarks, never the system one.
#
#   scripts/pg-test-cluster.sh start DIR   initdb in DIR (created if missing; French ICU collation), serve on 127.0.0.1 on a
#                                          free port, create database carto_test with postgis,
#                                          pg_trgm and unaccent; prints the SQLAlchemy URL
#   scripts/pg-test-cluster.sh url DIR     prints the URL of the running cluster in DIR again
#   scripts/pg-test-cluster.sh stop DIR    stops the cluster and removes DIR
#
# Run as root (the server then runs as user postgres) or as any other non-root user.
# Durability is switched off (fsync, synchronous_commit): the data is disposable by design.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DB_NAME=${PG_TEST_DB:-carto_test}
cmd=${1:-}
dir=${2:-}
[[ -n $cmd && -n $dir ]] || { echo "usage: $0 start|url|stop DIR" >&2; exit 2; }

as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

url() {
  local port
  port=$(cat "$dir/port")
  echo "postgresql+psycopg://postgres@127.0.0.1:${port}/${DB_NAME}"
}

start() {
  mkdir -p "$dir"
  [[ $(id -u) == 0 ]] && chown postgres: "$dir"
  local port
  port=$(free_port)
  # French ICU collation, as a French deployment would have: text order is then not byte order, and
  # the tests show that lists in name order (carto.core.textnorm.sort_key) do not depend on it.
  as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    --locale-provider=icu --icu-locale=fr-FR >"$dir/initdb.log"
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w start -o \
    "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null
  echo "$port" | as_owner tee "$dir/port" >/dev/null
  as_owner "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE $DB_NAME" >/dev/null
  as_owner "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d "$DB_NAME" -v ON_ERROR_STOP=1 \
    -c "CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm; CREATE EXTENSION unaccent" >/dev/null
  url
}

stop() {
  if [[ -f $dir/data/postmaster.pid ]]; then
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
  rm -rf "$dir"
}

case $cmd in
  start) start ;;
  url) url ;;
  stop) stop ;;
  *) echo "usage: $0 start|url|stop DIR" >&2; exit 2 ;;
esac
