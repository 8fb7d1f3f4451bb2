#!/usr/bin/env bash
# Serves the site (scripts/web.sh) and runs WORKERS background workers (manage.py worker, default 1,
# each running WORKER_CONCURRENCY jobs at once, default 1) beside it, each under a small supervisor: a
# process that dies is started again (after 1, 2, 4 … 30 s while it keeps dying at once), and the
# others keep running. Ctrl-C (or SIGTERM) stops them all, and the local database if `make run` started
# it (STOP_DB=1). Only a worker that cannot start because of its configuration (exit status 78) is not
# started again: then all stop, with its reason (the database keeps running).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=${DEBUG:-0} HTTPS=${HTTPS:-0}
bind=${BIND:-127.0.0.1:8000}
workers=${WORKERS:-1}
concurrency=${WORKER_CONCURRENCY:-1}
config_error=78

log() { echo "serve: $(date '+%H:%M:%S') $*" >&2; }
for setting in "WORKERS=$workers" "WORKER_CONCURRENCY=$concurrency"; do
  [[ ${setting#*=} =~ ^[1-9][0-9]*$ ]] || { log "$setting: a whole number from 1 is needed"; exit 2; }
done

# supervise NAME COMMAND...: runs COMMAND until told to stop (SIGTERM), starting it again when it ends.
supervise() {
  local name=$1 child="" stopping=0 delay=1 started status
  shift
  trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true' TERM
  trap '' INT # Ctrl-C reaches this script, which stops everything in order
  while [ "$stopping" = 0 ]; do
    started=$SECONDS
    "$@" &
    child=$!
    status=0
    wait "$child" || status=$?
    # A trapped signal interrupts `wait`: wait again for the child to finish its shutdown.
    while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done
    [ "$stopping" = 1 ] && break
    if [ "$status" = "$config_error" ]; then
      log "$name cannot start (configuration, see above): not starting it again"
      return "$config_error"
    fi
    if ((SECONDS - started >= 60)); then delay=1; fi
    log "$name exited with status $status: starting it again in ${delay}s"
    sleep "$delay" & wait $! || true
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
  return 0
}

supervise web env BIND="$bind" WEB_ACCESS_LOG="${WEB_ACCESS_LOG:-1}" bash scripts/web.sh &
web=$!
# Several workers share the queues: each job is taken by one (procrastinate locks it as it takes it), a
# dead worker's jobs go back to the others (common.tasks.retry_stalled_jobs), and each periodic job is
# deferred once however many workers schedule it.
worker_pids=()
for ((i = 1; i <= workers; i++)); do
  name=worker
  ((workers == 1)) || name="worker $i"
  supervise "$name" .venv/bin/python manage.py worker --concurrency "$concurrency" &
  worker_pids+=($!)
done

# stop [db]: the web server and the workers; with "db" (Ctrl-C only) also the database `make run` started.
# A child's death never stops the database: other programs (a psql, a second worker) may be using it.
stop() {
  trap '' INT TERM
  kill -TERM "$web" "${worker_pids[@]}" 2>/dev/null || true
  wait "$web" "${worker_pids[@]}" 2>/dev/null || true
  if [ "${1:-}" = db ] && [ "${STOP_DB:-}" = 1 ]; then bash scripts/localdb.sh stop; fi
}
trap 'stop db; exit 0' INT TERM
log "serving on http://$bind with $workers worker(s) (Ctrl-C to stop)"
# The supervisors end only when told to, or when the workers' configuration is wrong.
status=0
wait -n "$web" "${worker_pids[@]}" || status=$?
stop
exit "$status"
