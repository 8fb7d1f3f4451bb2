#!/usr/bin/env bash
# Installs the npm packages and copies the files the pages use into
# static/vendor/, so nothing is loaded from a CDN at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.geo-stamp
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  touch "$stamp"
fi
rm -rf static/vendor
mkdir -p static/vendor/leaflet
cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images static/vendor/leaflet/
mkdir -p static/vendor/leaflet-draw static/vendor/leaflet-heat static/vendor/chartjs
cp -r node_modules/leaflet-draw/dist/leaflet.draw.js node_modules/leaflet-draw/dist/leaflet.draw.css node_modules/leaflet-draw/dist/images static/vendor/leaflet-draw/
cp node_modules/leaflet.heat/dist/leaflet-heat.js static/vendor/leaflet-heat/
cp node_modules/chart.js/dist/chart.umd.js node_modules/chart.js/dist/chart.umd.js.map static/vendor/chartjs/
# Draws our own basemap's vector tiles (/tiles/basemap/) on a Leaflet canvas layer, names included.
mkdir -p static/vendor/protomaps-leaflet
cp node_modules/protomaps-leaflet/dist/protomaps-leaflet.js node_modules/protomaps-leaflet/dist/protomaps-leaflet.js.map static/vendor/protomaps-leaflet/
# axe-core: the accessibility rules the browser tests run inside our pages (tests/test_citizen_pages_browser.py).
mkdir -p static/vendor/axe-core
cp node_modules/axe-core/axe.min.js static/vendor/axe-core/
