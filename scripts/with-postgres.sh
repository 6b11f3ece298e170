#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL + PostGIS cluster, then stop and remove it:
#
#   scripts/with-postgres.sh .venv/bin/pytest -q -n 2
#
# Installs the OS packages when missing (as root: apt-get install postgresql postgis), starts a
# cluster in a temporary folder on a free loopback port (as the "postgres" user when run as
# root), creates database "atlas_test" with PostGIS, exports
#   SEI_ATLAS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:<port>/atlas_test
# (tests/conftest.py gives every test a fresh schema in it) and SEI_ATLAS_TEST_POSTGRES_URL
# (the same, for the ledger's own database tests), runs the command and returns its exit code.
set -euo pipefail

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
has_postgis() { ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }

if [ -z "$(pg_bin)" ] || ! has_postgis; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgis >/dev/null
  else
    echo "PostgreSQL and PostGIS are not installed: sudo apt-get install -y postgresql postgis" >&2
    exit 2
  fi
fi
BIN=$(pg_bin)

WORK=$(mktemp -d /tmp/sei-pg.XXXXXX)
chmod 755 "$WORK"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres: "$WORK"

cleanup() {
  as_owner "$BIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

as_owner "$BIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
# A throwaway cluster: durability settings off for speed (the tests kill the app, not the database).
as_owner "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 start -o \
  "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off \
   -c synchronous_commit=off -c full_page_writes=off" >/dev/null
"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres atlas_test
"$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -d atlas_test -c "CREATE EXTENSION postgis" >/dev/null

export SEI_ATLAS_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/atlas_test"
export SEI_ATLAS_TEST_POSTGRES_URL="$SEI_ATLAS_TEST_DATABASE_URL"
export PATH="$BIN:$PATH"  # pg_dump / pg_restore of the same version as the server
echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') + PostGIS on 127.0.0.1:$PORT" >&2
set +e
"$@"
status=$?
set -e
exit $status
