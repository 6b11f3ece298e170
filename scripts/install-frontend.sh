#!/usr/bin/env bash
# Leaflet plug-ins that only npm has (vector tiles: protomaps-leaflet), pinned by package.json and
# package-lock.json, copied into static/vendor/ where the app serves them. Nothing is loaded from
# a CDN at run time. Without npm the app still runs; layers too big to inline then say on the map
# that the vector-tile plug-in is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
target=static/vendor/protomaps-leaflet
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: big layers cannot be drawn from vector tiles until it is installed" >&2
  echo "(Debian: apt-get install -y npm; then run scripts/install-frontend.sh again)" >&2
  exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p "$target"
cp node_modules/protomaps-leaflet/dist/protomaps-leaflet.js node_modules/protomaps-leaflet/LICENSE "$target/"
