#!/usr/bin/env bash
# A project-local PgBouncer (transaction pooling, deploy/pgbouncer.ini.template) on loopback in front of
# a PostgreSQL database: `scripts/pgbouncer.sh start|stop|status`.
#   PGBOUNCER_TARGET_URL  the database to pool (default: .var/database-url, the local cluster's)
#   PGBOUNCER_PORT        its loopback port (default 64329)
#   PGBOUNCER_POOL_SIZE   server connections per database and user (default 20), and
#   PGBOUNCER_RESERVE_POOL_SIZE  more for clients that waited 2 s (default 5)
#   PGBOUNCER_DIR         its folder: rendered pgbouncer.ini, userlist, log, pid (default .var/pgbouncer)
# `start` prints the pooled URL (also written to $PGBOUNCER_DIR/database-url): give it to the web
# servers as DATABASE_URL, with DATABASE_POOL_MODE=transaction. The worker stays on the direct URL.
# PgBouncer refuses to run as root, so as root it runs as the postgres system user (as scripts/localdb.sh).
set -euo pipefail

cmd=${1:-start}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${PGBOUNCER_DIR:-$root/.var/pgbouncer}
pidfile="$dir/pgbouncer.pid"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

if [ "$cmd" = status ]; then
  running
  exit $?
fi

if [ "$cmd" = stop ]; then
  if running; then
    pid=$(cat "$pidfile")
    # SIGINT: PgBouncer's safe shutdown, after the transactions under way.
    kill -INT "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null || true
  fi
  exit 0
fi

if [ "$cmd" != start ]; then
  echo "usage: $0 start|stop|status" >&2
  exit 2
fi
command -v pgbouncer >/dev/null || { echo "pgbouncer: not installed (scripts/system-deps.sh)" >&2; exit 1; }

target=${PGBOUNCER_TARGET_URL:-$(cat "$root/.var/database-url")}
port=${PGBOUNCER_PORT:-64329}
# user, password, host, port, database, one a line, decoded from the URL.
mapfile -t parts < <(python3 - "$target" <<'PY'
import sys
from urllib.parse import unquote, urlsplit

url = urlsplit(sys.argv[1])
for part in (url.username, url.password, url.hostname or "127.0.0.1", str(url.port or 5432), url.path.lstrip("/")):
    print(unquote(part or ""))
PY
)
user=${parts[0]} password=${parts[1]} pg_db=${parts[4]}
if [ -z "$user" ] || [ -z "$password" ] || [ -z "$pg_db" ]; then
  echo "pgbouncer: PGBOUNCER_TARGET_URL needs a user, a password and a database" >&2
  exit 1
fi

mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
  # The postgres user must be able to reach the folder through every parent folder.
  parent="$dir"
  while [ "$parent" != / ]; do
    if ! runuser -u postgres -- test -x "$parent"; then
      echo "pgbouncer: allowing the postgres user to traverse $parent" >&2
      chmod o+x "$parent"
    fi
    parent=$(dirname "$parent")
  done
  chown postgres:postgres "$dir"
fi
chmod 700 "$dir"

if running; then
  echo "pgbouncer: already running (pid $(cat "$pidfile"))" >&2
else
  umask 077
  # PgBouncer authenticates the web servers with this password and logs in to PostgreSQL with it.
  printf '"%s" "%s"\n' "${user//\"/\"\"}" "${password//\"/\"\"}" > "$dir/userlist.txt"
  PGBOUNCER_DB=$pg_db PG_HOST=${parts[2]} PG_PORT=${parts[3]} PG_DB=$pg_db PGBOUNCER_LISTEN_ADDR=127.0.0.1 \
    PGBOUNCER_PORT=$port PGBOUNCER_POOL_SIZE=${PGBOUNCER_POOL_SIZE:-20} \
    PGBOUNCER_RESERVE_POOL_SIZE=${PGBOUNCER_RESERVE_POOL_SIZE:-5} PGBOUNCER_STATS_USERS=$user \
    PGBOUNCER_MAX_DB_CONNECTIONS=${PGBOUNCER_MAX_DB_CONNECTIONS:-0} PGBOUNCER_DIR=$dir \
    PGBOUNCER_AUTH_FILE="$dir/userlist.txt" \
    envsubst "$(grep -o '\${[A-Z_]*}' "$root/deploy/pgbouncer.ini.template" | sort -u | tr -d '\n')" \
    < "$root/deploy/pgbouncer.ini.template" > "$dir/pgbouncer.ini"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir/userlist.txt" "$dir/pgbouncer.ini"; fi
  rm -f "$pidfile"
  as_pg pgbouncer -d -q "$dir/pgbouncer.ini"
  # Ready once it accepts connections on its port.
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.05
  done
  if ! running; then
    echo "pgbouncer: did not start, see $dir/pgbouncer.log" >&2
    tail -n 5 "$dir/pgbouncer.log" >&2 || true
    exit 1
  fi
fi
url="${target%%@*}@127.0.0.1:$port/${target##*/}"
printf '%s\n' "$url" > "$dir/database-url"
printf '%s\n' "$url"
