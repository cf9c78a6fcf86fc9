#!/bin/sh
# A throwaway PostgreSQL server on loopback for the tests (Debian's postgresql binaries), started if
# it is not already running. The tests make and drop their own databases on it.
set -eu
port="${STOCKTAKE_PGPORT:-54329}"
data="${STOCKTAKE_PGDATA:-/tmp/stocktake-postgres}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
"$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && exit 0
if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres "$data"
    as_owner "$bin/initdb" -D "$data" -U stocktake --auth=trust >/dev/null
fi
as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $data" start >/dev/null
echo "PostgreSQL for the tests on 127.0.0.1:$port"
