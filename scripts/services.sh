#!/usr/bin/env bash
# PostgreSQL, Redis and Solr 9 for the demo portal and the tests, on loopback.
#
#   scripts/services.sh start|stop|status
#
# Idempotent: installs what is missing (Debian packages, Solr jars from Maven
# Central), starts what is not running, and keeps all data under .var/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

SOLR_VERSION_STAMP="$VAR/solr/lib/.solr-$(grep -oP '(?<=<solr.version>)[^<]+' "$ROOT/solr/pom.xml")"

# --------------------------------------------------------------- PostgreSQL
pg_running() { [ -S "$PG_SOCKET/.s.PGSQL.$PG_PORT" ] && "$(pg_bin)/pg_isready" -q -h "$PG_SOCKET" -p "$PG_PORT"; }

pg_start() {
  [ -n "$(pg_bin)" ] || apt_ensure postgresql
  apt_ensure postgresql libpq-dev
  local bin; bin="$(pg_bin)"
  if pg_running; then log "PostgreSQL already running on 127.0.0.1:$PG_PORT"; return; fi
  mkdir -p "$VAR/postgres" "$LOG"
  [ "$(id -u)" = 0 ] && chown postgres: "$VAR/postgres"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initialising a PostgreSQL cluster in $PG_DATA"
    as_pg "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  fi
  as_pg mkdir -p "$PG_SOCKET"
  touch "$LOG/postgres.log"; [ "$(id -u)" = 0 ] && chown postgres: "$LOG/postgres.log"
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$LOG/postgres.log" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_SOCKET -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
  log "PostgreSQL started on 127.0.0.1:$PG_PORT"
}

pg_stop() {
  pg_running || return 0
  as_pg "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  log "PostgreSQL stopped"
}

psql_admin() { as_pg "$(pg_bin)/psql" -h "$PG_SOCKET" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

# Create the CKAN role and a database (name as $1) if they do not exist.
pg_ensure_db() {
  local db="$1"
  if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'")" ]; then
    psql_admin -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'"
  fi
  if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$db'")" ]; then
    psql_admin -c "CREATE DATABASE $db OWNER $PG_USER ENCODING 'UTF8'"
    log "created database $db"
  fi
}

# -------------------------------------------------------------------- Redis
redis_running() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

redis_start() {
  command -v redis-server >/dev/null || apt_ensure redis-server
  if redis_running; then log "Redis already running on 127.0.0.1:$REDIS_PORT"; return; fi
  mkdir -p "$VAR/redis" "$RUN" "$LOG"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
    --dir "$VAR/redis" --pidfile "$RUN/redis.pid" --logfile "$LOG/redis.log" \
    --appendonly yes --save "60 1" --databases 64 >/dev/null
  for _ in $(seq 1 50); do redis_running && break; sleep 0.1; done
  redis_running || die "Redis did not start; see $LOG/redis.log"
  log "Redis started on 127.0.0.1:$REDIS_PORT"
}

redis_stop() {
  redis_running || return 0
  redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  log "Redis stopped"
}

# --------------------------------------------------------------------- Solr
solr_url() { echo "http://127.0.0.1:$SOLR_PORT/solr/ckan"; }
solr_running() { curl -sf "$(solr_url)/admin/ping" >/dev/null 2>&1; }

# Solr jars come from Maven Central (cached in ~/.m2), compiled launcher in .var.
solr_install() {
  command -v java >/dev/null || apt_ensure openjdk-17-jdk-headless
  command -v mvn >/dev/null || apt_ensure maven
  command -v curl >/dev/null || apt_ensure curl
  if [ ! -f "$SOLR_VERSION_STAMP" ]; then
    log "resolving Solr jars with Maven (first run only)"
    rm -rf "$SOLR_LIB"
    mvn -q -B -f "$ROOT/solr/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$SOLR_LIB" -DincludeScope=runtime
    touch "$SOLR_VERSION_STAMP"
  fi
  if [ ! -f "$SOLR_CLASSES/Launcher.class" ] || [ "$ROOT/solr/Launcher.java" -nt "$SOLR_CLASSES/Launcher.class" ]; then
    mkdir -p "$SOLR_CLASSES"
    javac -d "$SOLR_CLASSES" -cp "$SOLR_LIB/*" "$ROOT/solr/Launcher.java"
  fi
}

# The ckan core uses the schema shipped in the installed CKAN package.
solr_configure() {
  local ckan_dir conf="$SOLR_HOME/ckan/conf"
  ckan_dir="$("$VENV/bin/python" -c 'import ckan, os; print(os.path.dirname(ckan.__file__))')" \
    || die "CKAN is not installed in $VENV (run scripts/bootstrap.sh)"
  mkdir -p "$conf"
  cp "$ROOT/solr/solr.xml" "$SOLR_HOME/"
  echo "name=ckan" > "$SOLR_HOME/ckan/core.properties"
  cp "$ckan_dir/config/solr/schema.xml" "$conf/schema.xml"
  cp "$ROOT/solr/solrconfig.xml" "$ROOT/solr/synonyms.txt" "$ROOT/solr/protwords.txt" "$conf/"
}

solr_start() {
  if solr_running; then log "Solr already running on 127.0.0.1:$SOLR_PORT"; return; fi
  solr_install
  solr_configure
  mkdir -p "$RUN" "$LOG"
  setsid nohup java -Xms256m -Xmx768m -Dsolr.log.dir="$LOG" \
    -cp "$SOLR_CLASSES:$SOLR_LIB/*" Launcher "$SOLR_HOME" "$SOLR_PORT" \
    >"$LOG/solr.log" 2>&1 < /dev/null &
  echo $! > "$RUN/solr.pid"
  for _ in $(seq 1 120); do solr_running && break; sleep 0.5; done
  solr_running || die "Solr did not start; see $LOG/solr.log"
  log "Solr started: $(solr_url)"
}

solr_stop() {
  local pid
  [ -f "$RUN/solr.pid" ] && pid="$(cat "$RUN/solr.pid")" || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    log "Solr stopped"
  fi
  rm -f "$RUN/solr.pid"
}

status() {
  pg_running && echo "postgresql: running on 127.0.0.1:$PG_PORT" || echo "postgresql: stopped"
  redis_running && echo "redis:      running on 127.0.0.1:$REDIS_PORT" || echo "redis:      stopped"
  solr_running && echo "solr:       running at $(solr_url)" || echo "solr:       stopped"
}

case "${1:-}" in
  start) pg_start; redis_start; solr_start ;;
  stop) solr_stop; redis_stop; pg_stop ;;
  status) status ;;
  ensure-db) shift; for db in "$@"; do pg_ensure_db "$db"; done ;;
  *) echo "usage: $0 start|stop|status|ensure-db DB..." >&2; exit 2 ;;
esac
