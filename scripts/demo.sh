#!/usr/bin/env bash
# Command 1: the demo portal with sample Kabupaten Sumedang data on
# http://127.0.0.1:5000, with a job worker beside it. Safe to run again.
#   scripts/demo.sh          start (or restart) the portal
#   scripts/demo.sh stop     stop the portal, the worker and the services
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

CKAN="$VENV/bin/ckan -c $ROOT/demo.ini"

stop_process() {
  local pidfile="$RUN/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$pidfile"
}

start_process() {  # name, command...
  local name="$1"; shift
  setsid nohup "$@" >"$LOG/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
}

if [ "${1:-}" = "stop" ]; then
  stop_process web; stop_process worker; stop_process validation-worker
  "$ROOT/scripts/services.sh" stop
  exit 0
fi

"$ROOT/scripts/bootstrap.sh"
"$ROOT/scripts/services.sh" start
"$ROOT/scripts/services.sh" ensure-db satudata_demo
mkdir -p "$VAR/storage-demo" "$RUN" "$LOG"

log "initialising the database and the search index"
$CKAN db init >/dev/null
$CKAN db upgrade -p satudata >/dev/null
stop_process web; stop_process worker; stop_process validation-worker
log "loading sample data"
$CKAN satudata-demo load
$CKAN search-index rebuild -r >/dev/null 2>&1 || $CKAN search-index rebuild >/dev/null

start_process worker $CKAN jobs worker default   # notices never wait behind a validation:
start_process validation-worker $CKAN jobs worker satudata_validation   # it has its own queue and worker
start_process web "$ROOT/scripts/web.sh" "$ROOT/demo.ini" "$DEMO_PORT"
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$DEMO_PORT/api/3/action/status_show" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$DEMO_PORT/api/3/action/status_show" >/dev/null || die "the portal did not start; see $LOG/web.log"

cat <<MSG

  Satu Data Sumedang demo portal: http://127.0.0.1:$DEMO_PORT
  Job workers: running (logs: .var/log/worker.log, .var/log/validation-worker.log)

  Demo logins (password for all: $("$VENV/bin/python" -c 'from ckanext.satudata.demo.data import PASSWORD; print(PASSWORD)')):
    admin                 sysadmin
    walidata              Walidata (Diskominfo)
    pembina               Pembina Data (BPS)
    forum                 Anggota Forum Satu Data
    produsen-dinkes       Produsen Data, Dinas Kesehatan (editor)
    ppid-dinkes           PPID, Dinas Kesehatan
    produsen-disdik       Produsen Data, Dinas Pendidikan (editor)
    ppid-disdik           PPID, Dinas Pendidikan
    produsen-disdukcapil  Produsen Data, Disdukcapil (editor)
    ppid-disdukcapil      PPID, Disdukcapil

  Stop everything: scripts/demo.sh stop
MSG
