#!/usr/bin/env bash
# Serves the site (scripts/web.sh) and runs the background worker beside it.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=${DEBUG:-0} HTTPS=${HTTPS:-0}
bind=${BIND:-127.0.0.1:8000}

BIND=$bind WEB_ACCESS_LOG=${WEB_ACCESS_LOG:-1} bash scripts/web.sh &
web=$!
.venv/bin/python manage.py procrastinate worker &
worker=$!

stop() {
  kill -TERM "$web" "$worker" 2>/dev/null || true
  wait "$web" "$worker" 2>/dev/null || true
  if [ "${STOP_DB:-}" = 1 ]; then bash scripts/localdb.sh stop; fi
}
trap 'stop; exit 0' INT TERM
echo "Serving on http://$bind (Ctrl-C to stop)"
# Whichever ends first takes the other down with it.
wait -n "$web" "$worker" || true
stop
