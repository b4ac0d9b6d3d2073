#!/usr/bin/env bash
# The portal's web server for the demo (and the tests that start one):
# Werkzeug's server without its debugger (an open /console runs Python in the
# server) and without the reloader.
#   scripts/web.sh CONFIG PORT
# A production portal runs CKAN's wsgi.py under gunicorn or uWSGI instead (README).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[ $# -eq 2 ] || die "usage: scripts/web.sh CONFIG PORT"
exec "$VENV/bin/ckan" -c "$1" run -H 127.0.0.1 -p "$2" --disable-reloader --disable-debugger
