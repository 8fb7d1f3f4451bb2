#!/usr/bin/env bash
# Starts (creating on first use) the project-local PostGIS cluster in .var/pg.
# PostgreSQL refuses to run as root, so the cluster belongs to the postgres
# system user. Writes the connection URL to .var/database-url for settings.
set -euo pipefail

cmd=${1:-start}
root=$(cd "$(dirname "$0")/.." && pwd)
var="$root/.var"
data="$var/pg/data"
sock="$var/pg/run"
port=${LOCAL_PG_PORT:-54329}
major=$(ls /usr/lib/postgresql/ | sort -V | tail -n 1)
bin="/usr/lib/postgresql/$major/bin"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$cmd" = status ]; then
  [ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
  exit $?
fi

if [ "$cmd" = stop ]; then
  if [ -f "$data/postmaster.pid" ]; then as_pg "$bin/pg_ctl" -D "$data" -m fast stop; fi
  exit 0
fi

mkdir -p "$var/pg"
if [ "$(id -u)" = 0 ]; then
  # The postgres user must be able to reach .var/pg through every parent folder.
  dir="$var"
  while [ "$dir" != / ]; do
    if ! runuser -u postgres -- test -x "$dir"; then
      echo "localdb: allowing the postgres user to traverse $dir"
      chmod o+x "$dir"
    fi
    dir=$(dirname "$dir")
  done
  chown postgres:postgres "$var/pg"
fi

if [ ! -f "$data/PG_VERSION" ]; then
  pw="$var/pg/password"
  if [ ! -f "$pw" ]; then
    head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$pw"
  fi
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pw"
  chmod 600 "$pw"
  as_pg "$bin/initdb" -D "$data" -U postgres --pwfile="$pw" --auth-local=scram-sha-256 \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg mkdir -p "$sock"
  cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
max_connections = 200
include_if_exists = 'memory.conf'
work_mem = 32MB
maintenance_work_mem = 256MB
fsync = on
synchronous_commit = off
jit = off
CONF
fi

# Memory follows the machine, at each start: a quarter of RAM for PostgreSQL's own cache (at most
# 4 GB), the usual advice. The map's pre-aggregated grid and the reports' hot pages then stay in
# it; the kernel's page cache is no promise (some VMs reclaim it eagerly).
ram_mb=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
buffers_mb=$((ram_mb / 4)); buffers_mb=$((buffers_mb > 4096 ? 4096 : buffers_mb)); buffers_mb=$((buffers_mb < 128 ? 128 : buffers_mb))
memory_conf=$(printf 'shared_buffers = %sMB\neffective_cache_size = %sMB\n' "$buffers_mb" $((ram_mb / 2)))
if [ "$(cat "$data/memory.conf" 2>/dev/null)" != "$memory_conf" ]; then
  printf '%s\n' "$memory_conf" | as_pg tee "$data/memory.conf" >/dev/null
  # Clusters made before this file existed: include it (their shared_buffers line comes first, so ours wins).
  grep -q "^include_if_exists = 'memory.conf'" "$data/postgresql.conf" ||
    echo "include_if_exists = 'memory.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
  # A cluster already running takes the new size at its next start (`make stop`).
fi

password=$(cat "$var/pg/password")
if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  as_pg "$bin/pg_ctl" -D "$data" -l "$var/pg/server.log" -w -t 60 start >/dev/null
fi
export PGPASSWORD="$password"
psql_() { psql -X -q -h 127.0.0.1 -p "$port" -U postgres "$@"; }
if ! psql_ -d postgres -tAc "select 1 from pg_database where datname='geo'" | grep -q 1; then
  psql_ -d postgres -c "create database geo"
fi
psql_ -d geo -c "create extension if not exists postgis; create extension if not exists unaccent; create extension if not exists pg_trgm" 2>&1 | grep -v NOTICE || true
url="postgis://postgres:$password@127.0.0.1:$port/geo"
umask 077
printf '%s\n' "$url" > "$var/database-url"
