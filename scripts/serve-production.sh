#!/usr/bin/env bash
# Serve the app in production: gunicorn (several workers × threads) where installed, else
# waitress (one process, many threads). The dev server (python app.py) is never used here.
#
#   SEI_ATLAS_SECRET_KEY=… [SEI_ATLAS_CONFIG=/etc/sei-atlas.cfg] scripts/serve-production.sh
#
# BIND (127.0.0.1:8000), WORKERS (4), THREADS (4; waitress: WORKERS×THREADS threads),
# SERVER (gunicorn | waitress). Configuration: docs/operators.md.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BIN="$VENV/bin"
[ -x "$BIN/python" ] || BIN="$(dirname "$(command -v python3)")"
BIND=${BIND:-127.0.0.1:8000}
WORKERS=${WORKERS:-4}
THREADS=${THREADS:-4}
SERVER=${SERVER:-$([ -x "$BIN/gunicorn" ] && echo gunicorn || echo waitress)}
export BIND WORKERS THREADS

# app:production_app refuses to start (exit 3) when a setting is unsafe (default
# SECRET_KEY, DEBUG, CSRF off): see web/production.py.
case "$SERVER" in
  gunicorn)
    exec "$BIN/gunicorn" -c scripts/gunicorn.conf.py 'app:production_app()' ;;
  waitress)
    exec "$BIN/waitress-serve" --listen="$BIND" --threads=$((WORKERS * THREADS)) \
      --connection-limit=500 --channel-timeout=120 --ident=sei-atlas \
      --call app:production_app ;;
  *) echo "SERVER must be gunicorn or waitress" >&2; exit 2 ;;
esac
