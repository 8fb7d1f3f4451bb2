#!/usr/bin/env bash
# Serves the site with gunicorn and runs the background worker beside it.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=${DEBUG:-0} HTTPS=${HTTPS:-0}
bind=${BIND:-127.0.0.1:8000}

.venv/bin/gunicorn geo.wsgi:application --bind "$bind" --workers "${WEB_CONCURRENCY:-2}" --threads "${WEB_THREADS:-1}" \
  --access-logfile - --graceful-timeout 5 &
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
