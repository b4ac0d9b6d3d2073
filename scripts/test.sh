#!/usr/bin/env bash
# Command 2: the whole test suite against real PostgreSQL, Solr and Redis.
#   scripts/test.sh [pytest args...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$ROOT/scripts/bootstrap.sh"
"$ROOT/scripts/services.sh" start
"$ROOT/scripts/services.sh" ensure-db satudata_test
apt_ensure chromium openssl   # browser tests drive Debian's Chromium; TLS tests make a certificate

mkdir -p "$VAR/storage-test" "$ROOT/test-artifacts"
cd "$ROOT"
set +e
# One run at a time: the tests share one database, Solr core and Redis db.
flock "$VAR/pytest.lock" "$VENV/bin/python" -m pytest --ckan-ini=test.ini -p no:cacheprovider "${@:-ckanext/satudata/tests}"
rc=$?
set -e
# pytest's 5 means no test ran: that is a failure here, never a pass.
[ "$rc" = 5 ] && log "no test ran" && exit 1
exit "$rc"
