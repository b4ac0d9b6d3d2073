#!/usr/bin/env bash
# Command 2: the whole test suite against real PostgreSQL, Solr and Redis.
#   scripts/test.sh [pytest args...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$ROOT/scripts/bootstrap.sh"
"$ROOT/scripts/services.sh" start
apt_ensure chromium openssl nginx-light   # browser tests drive Debian's Chromium; TLS tests make a certificate; the production test puts nginx in front

# A slot (SATUDATA_TEST_SLOT=1..8) is a run of its own: database, Solr site_id,
# Redis db, storage, SMTP and web ports; runs in different slots do not meet.
# CKAN reads these CKAN_* variables over test.ini (CONFIG_FROM_ENV_VARS).
slot="${SATUDATA_TEST_SLOT:-0}"
case "$slot" in [0-8]) ;; *) die "SATUDATA_TEST_SLOT must be 0..8" ;; esac
db=satudata_test; suffix=""
[ "$slot" != 0 ] && db="satudata_test_$slot" && suffix="-$slot"
export CKAN_SQLALCHEMY_URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$db"
export CKAN_SITE_ID="satudata-test$suffix"
export CKAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/$((1 + slot))"
export CKAN_STORAGE_PATH="$VAR/storage-test$suffix"
export CKAN_SMTP_SERVER="127.0.0.1:$((8025 + 10 * slot))"
export SATUDATA_TEST_WEB_PORT="$((5055 + 10 * slot))"
"$ROOT/scripts/services.sh" ensure-db "$db"

mkdir -p "$CKAN_STORAGE_PATH" "$ROOT/test-artifacts"
cd "$ROOT"
set +e
# The whole suite runs on SATUDATA_TEST_WORKERS (default 2) pytest-xdist workers,
# a test file per worker at a time (its module-scoped portal built once); each
# worker has a database, site_id, Redis db, storage and ports of its own, derived
# from the slot's (tests/_speed.py). Named tests run in one process unless -n is given.
suite=(tests)
workers="${SATUDATA_TEST_WORKERS:-2}"
[ "$workers" != 0 ] && suite=(-n "$workers" --dist loadfile "${suite[@]}")
# One run per slot at a time: a slot is one database, Solr site_id and Redis db.
flock "$VAR/pytest$suffix.lock" "$VENV/bin/python" -m pytest --ckan-ini=test.ini -p no:cacheprovider ${SATUDATA_TEST_DURATIONS:+--durations=$SATUDATA_TEST_DURATIONS} "${@:-${suite[@]}}"
rc=$?
# pytest's 5 means no test ran: that is a failure here, never a pass.
[ "$rc" = 5 ] && log "no test ran" && rc=1
# Known vulnerabilities fail the run; vulnerability data that cannot be reached
# (exit 2: this network serves no per-version data) is a loud warning, not a pass.
if [ "$#" = 0 ]; then
  "$ROOT/scripts/audit.sh"; audit=$?
  [ "$audit" = 2 ] && log "WARNING: pip-audit could not reach PyPI's vulnerability data: dependencies NOT audited" && audit=0
  [ "$rc" = 0 ] && rc=$audit
fi
set -e
exit "$rc"
