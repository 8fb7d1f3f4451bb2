#!/usr/bin/env bash
# The web server, started the same way by every caller: `make run` (scripts/serve.sh), the
# benchmarks and the tests that need a real server. BIND (host:port), WEB_CONCURRENCY (worker
# processes), WEB_THREADS (requests at once per worker), WEB_LOG_LEVEL and WEB_ACCESS_LOG=1 tune it.
# Several threads per worker, so a cheap request (/healthz, a page) is not queued behind an upload whose
# images are being decoded (Pillow lets go of the GIL meanwhile; decoding is one image at a time per
# worker, incidents/attachments.py): measured /healthz p99 under ten large uploads, bench/intake.py.
#
# Granian: its HTTP side is Rust and it keeps client connections open, so a map asking for dozens
# of tiles does not pay a new connection and a Python HTTP parser for each (tiles and clusters
# measured about a third faster than under gunicorn's sync workers; intake the same; see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bind=${BIND:-127.0.0.1:8000}
args=(--interface wsgi --host "${bind%:*}" --port "${bind##*:}"
  --workers "${WEB_CONCURRENCY:-2}" --blocking-threads "${WEB_THREADS:-8}"
  --log-level "${WEB_LOG_LEVEL:-info}" --workers-kill-timeout 5 --no-ws
  # A worker process that dies is replaced; the server itself is restarted by its supervisor.
  --respawn-failed-workers --respawn-interval 1)
if [ "${WEB_ACCESS_LOG:-}" = 1 ]; then args+=(--access-log); fi
exec .venv/bin/granian "${args[@]}" geo.wsgi:application
