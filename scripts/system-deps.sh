#!/usr/bin/env bash
# Installs the system packages the service needs on Debian/Ubuntu, only those
# that are missing, so a second run costs a few dpkg queries.
set -euo pipefail

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

python3 -c "import ensurepip" >/dev/null 2>&1 || need+=(python3-venv)
# fonts-dejavu-core: a font with Vietnamese letters for the chart image /thong-ke/bieu-do.png.
# osm2pgsql: loads an OpenStreetMap extract as our own basemap (manage.py basemap_import, the demo's).
# flite: reads the captcha letters aloud, offline (the alternative for people who cannot see the picture).
# wrk: the warning storm's 500 polling clients in make bench (bench/storm.py).
# pgbouncer: the connection pooler between app servers and PostgreSQL (scripts/pgbouncer.sh, deploy/pgbouncer.ini).
# nginx: the load balancer in front of several app servers (deploy/nginx/, scripts/balancer.sh).
for pkg in gdal-bin libgdal-dev libgeos-dev libproj-dev binutils gettext postgresql postgresql-contrib chromium fonts-dejavu-core osm2pgsql flite wrk pgbouncer nginx; do
  have "$pkg" || need+=("$pkg")
done
# npm comes with nodejs from some sources and as its own package on Debian.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

updated=0
apt_install() {
  if [ "$updated" = 0 ]; then apt-get update -q; updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Missing system packages: ${need[*]} (run as root, or install them)" >&2
    exit 1
  fi
  apt_install "${need[@]}"
fi

# PostGIS must match the server's major version.
major=$(ls /usr/lib/postgresql/ | sort -V | tail -n 1)
postgis_pkg="postgresql-${major}-postgis-3"
if ! have "$postgis_pkg"; then
  if [ "$(id -u)" != 0 ]; then
    echo "Missing system package: $postgis_pkg" >&2
    exit 1
  fi
  apt_install "$postgis_pkg"
fi
