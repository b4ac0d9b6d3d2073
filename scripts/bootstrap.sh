#!/usr/bin/env bash
# The virtualenv with CKAN, the pinned dependencies and this extension
# (editable). Reinstalls only when requirements or pyproject change.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# Build tools for psycopg2 (built from source by CKAN's pins) and python3-venv.
apt_ensure libpq-dev gcc python3-dev curl
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || apt_ensure python3-venv

stamp="$VENV/.satudata-installed"
inputs=("$ROOT/requirements.txt" "$ROOT/dev-requirements.txt" "$ROOT/pyproject.toml" "$ROOT/setup.py")
fresh=1
if [ -f "$stamp" ]; then
  fresh=0
  for f in "${inputs[@]}"; do [ "$f" -nt "$stamp" ] && fresh=1; done
fi
if [ "$fresh" = 1 ]; then
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  log "installing Python packages into $VENV"
  "$VENV/bin/pip" install -q -U pip setuptools wheel
  "$VENV/bin/pip" install -q -r "$ROOT/dev-requirements.txt"
  "$VENV/bin/pip" install -q --no-deps -e "$ROOT"
  touch "$stamp"
fi
# Compiled translations are build output, not sources (Babel's compile_catalog,
# as a wheel build runs it).
(cd "$ROOT" && "$VENV/bin/python" setup.py -q compile_catalog >/dev/null)
