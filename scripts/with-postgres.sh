#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL server from Debian's packages: a temporary data
# directory, a free loopback port, and a trap that always stops the server.
# Exports DX0_TEST_POSTGRES_URL (the admin database, for tests that create their own) and
# DX0_E2E_POSTGRES_URL (a database for the browser suite's server).
# DX0_PG_DURABLE=1 keeps PostgreSQL's durable defaults (fsync, synchronous commit).
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$pgbin" ] || [ ! -x "$pgbin/postgres" ]; then
  echo "PostgreSQL server binaries not found: run scripts/install-tools.sh postgres" >&2
  exit 1
fi

dir="$(mktemp -d /tmp/dx0-pg.XXXXXX)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres:postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

stop() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# Tests skip durability for speed; DX0_PG_DURABLE=1 (the benchmarks) keeps the defaults.
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${DX0_PG_DURABLE:-0}" = 1 ] && durability=""
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
  -o "-h 127.0.0.1 -p $port -k $dir $durability -c max_connections=200" \
  >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres dx0_e2e

export DX0_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
export DX0_E2E_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/dx0_e2e"
echo "==> PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
