#!/usr/bin/env bash
# nginx from Debian as the load balancer in front of several app servers (scripts/web.sh each), from
# deploy/nginx/balancer.conf.template. Round robin over the given servers; a server that refuses or
# times out is left out for 10 s (passive health check) and idempotent requests go on to another.
#
#   scripts/balancer.sh LISTEN SERVER...           runs nginx in the foreground (Ctrl-C stops it)
#   scripts/balancer.sh --render LISTEN SERVER...  prints the configuration (e.g. for /etc/nginx/nginx.conf)
#
# LISTEN is host:port (127.0.0.1:8080); each SERVER is host:port, optionally followed by nginx server
# parameters in the same argument ("127.0.0.1:8002 backup"). The environment tunes it:
#   BALANCER_DIR       nginx's state folder (pid, logs, temp files, static cache); default a new
#                      temporary folder (with --render: /var/lib/geo-balancer, which must exist).
#                      Its access.log names the app server of each request.
#   BALANCER_WORKERS   nginx worker processes (default auto: one per core)
#   BALANCER_MAX_BODY  the largest request body (default the app's REQUEST_UPLOAD_MAX_BYTES)
#   BALANCER_MAX_FAILS / BALANCER_FAIL_TIMEOUT  passive health check (default 2 failures / 10s)
# Runs as any user: as root its worker processes run as BALANCER_USER (default www-data).
set -euo pipefail
cd "$(dirname "$0")/.."

render=0
if [ "${1:-}" = --render ]; then render=1; shift; fi
if [ "$#" -lt 2 ]; then
  echo "usage: $0 [--render] LISTEN SERVER..." >&2
  exit 2
fi
listen=$1
shift

state=${BALANCER_DIR:-}
if [ "$render" = 1 ]; then
  state=${state:-/var/lib/geo-balancer}
else
  if [ -z "$state" ]; then state=$(mktemp -d "${TMPDIR:-/tmp}/geo-balancer.XXXXXX"); fi
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
fi

max_body=${BALANCER_MAX_BODY:-}
if [ -z "$max_body" ]; then
  # One source of truth for the limit: the app's own setting.
  max_body=$(DJANGO_SETTINGS_MODULE=geo.settings .venv/bin/python -c \
    'from django.conf import settings; print(settings.REQUEST_UPLOAD_MAX_BYTES)')
fi

user_line=""
if [ "$(id -u)" = 0 ]; then
  user=${BALANCER_USER:-www-data}
  user_line="user $user;"
  # The workers (not root) create and use the temp and cache folders inside the state folder.
  chmod 755 "$state"
fi

servers=""
for server in "$@"; do
  servers+="        server $server max_fails=${BALANCER_MAX_FAILS:-2} fail_timeout=${BALANCER_FAIL_TIMEOUT:-10s};"$'\n'
done

config=$(sed -e "s|@USER@|$user_line|" -e "s|@WORKERS@|${BALANCER_WORKERS:-auto}|" \
  -e "s|@STATE@|$state|g" -e "s|@MAX_BODY@|$max_body|" -e "s|@LISTEN@|$listen|" \
  deploy/nginx/balancer.conf.template)
config=${config/@SERVERS@/${servers%$'\n'}}

if [ "$render" = 1 ]; then
  printf '%s\n' "$config"
  exit 0
fi
printf '%s\n' "$config" >"$state/nginx.conf"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
# -p and -c keep nginx off /etc/nginx and /var/log/nginx; -e for the messages before the
# configuration is read.
"$nginx" -q -t -p "$state" -c "$state/nginx.conf" -e "$state/error.log"
echo "balancer: http://$listen -> $* (state in $state)" >&2
exec "$nginx" -p "$state" -c "$state/nginx.conf" -e "$state/error.log" -g 'daemon off;'
