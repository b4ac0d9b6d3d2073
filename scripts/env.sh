# Shared settings for the project's scripts; sourced, never run.
# Everything the portal writes lives under .var/ (ignored by git), so `stop`
# and a rerun keep the data.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/.var"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"

PG_PORT="${SATUDATA_PG_PORT:-54329}"
REDIS_PORT="${SATUDATA_REDIS_PORT:-63799}"
SOLR_PORT="${SATUDATA_SOLR_PORT:-58983}"
DEMO_PORT="${SATUDATA_DEMO_PORT:-5000}"

PG_USER=satudata
PG_PASSWORD=satudata
PG_DATA="$VAR/postgres/data"
PG_SOCKET="$VAR/postgres/run"
SOLR_HOME="$VAR/solr/home"
SOLR_LIB="$VAR/solr/lib"
SOLR_CLASSES="$VAR/solr/classes"
RUN="$VAR/run"
LOG="$VAR/log"

log() { printf '\033[1m[satudata]\033[0m %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# apt-get install only what is missing; `apt-get update` once per call.
_apt_updated=""
apt_ensure() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (run as root or install them)"
  log "installing Debian packages: ${missing[*]}"
  if [ -z "$_apt_updated" ]; then apt-get update -qq >/dev/null; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Run a command as the PostgreSQL owner (postgres when we are root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
