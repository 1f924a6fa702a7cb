#!/usr/bin/env bash
# Installs (if missing) and starts the local infrastructure Aimi needs: PostgreSQL 15 with pgvector,
# Redis and RabbitMQ (with the management API, used to create per-test virtual hosts).
# Idempotent, and safe when several processes call it at once (one flock serialises them).
# Debian/Ubuntu, as root, without systemd. Elsewhere: start the servers yourself and set
# ConnectionStrings__<name> (see README).
#
#   setup.sh                 install what is missing and start the machine-wide servers (the tests use these)
#   setup.sh --install-only  install what is missing, start nothing (the AppHost runs its own server processes)
#   setup.sh --browser       install Debian's Chromium (for the web client's browser tests) if missing, nothing else
set -euo pipefail

INSTALL_ONLY=0
[ "${1:-}" = "--install-only" ] && INSTALL_ONLY=1
BROWSER_ONLY=0
[ "${1:-}" = "--browser" ] && BROWSER_ONLY=1

PG_VERSION=15
PG_PORT=${AIMI_PG_PORT:-5432}
REDIS_PORT=${AIMI_REDIS_PORT:-6379}
AMQP_PORT=${AIMI_AMQP_PORT:-5672}
DB_USER=aimi
DB_PASSWORD=aimi
LOCK_FILE=${AIMI_SETUP_LOCK:-/tmp/aimi-infrastructure.lock}

log() { echo "[aimi-setup] $*" >&2; }
fail() { echo "[aimi-setup] ERROR: $*" >&2; exit 1; }

exec 9>"$LOCK_FILE"
flock 9

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

installed() {
  [ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ] && [ -f /usr/lib/postgresql/$PG_VERSION/lib/vector.so ] \
    && command -v redis-server >/dev/null 2>&1 && command -v epmd >/dev/null 2>&1 \
    && [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]
}
# Installing and starting servers needs root and apt.
can_install() { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; }
if [ "$INSTALL_ONLY" -eq 1 ] && installed; then
  exit 0
fi
if [ "$INSTALL_ONLY" -eq 1 ] && ! can_install; then
  fail "PostgreSQL $PG_VERSION with pgvector, Redis or RabbitMQ is not installed, and this is not root on Debian/Ubuntu: install them (see README)."
fi

# Without root or apt this script cannot install or start anything: fine if the servers already run, else say which.
if [ "$INSTALL_ONLY" -eq 0 ] && [ "$BROWSER_ONLY" -eq 0 ] && ! can_install; then
  why="not root"; command -v apt-get >/dev/null 2>&1 || why="not a Debian/Ubuntu machine"
  missing=()
  port_open "$PG_PORT" || missing+=("PostgreSQL+pgvector on :$PG_PORT (or set AIMI_POSTGRES and ConnectionStrings__goalsdb/__chatdb)")
  port_open "$REDIS_PORT" || missing+=("Redis on :$REDIS_PORT (or set AIMI_REDIS and ConnectionStrings__redis)")
  port_open "$AMQP_PORT" || missing+=("RabbitMQ on :$AMQP_PORT (or set AIMI_RABBITMQ and ConnectionStrings__rabbitmq)")
  port_open 15672 || missing+=("the RabbitMQ management API on :15672 (or set AIMI_RABBITMQ_MANAGEMENT)")
  if [ "${#missing[@]}" -eq 0 ]; then
    log "$why: not installing anything; the servers are already running"
    exit 0
  fi
  fail "$why, so cannot install or start: $(IFS='; '; echo "${missing[*]}"). Start them yourself, then set AIMI_SKIP_SETUP=1 (see README)."
fi

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null || fail "apt-get update failed"
    apt_updated=1
  fi
  log "installing $*"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || fail "could not install $*"
}

# --- Chromium (browser tests only; never a browser downloaded by a test tool) -----------------
if [ "$BROWSER_ONLY" -eq 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then
    can_install || fail "Chromium is not installed at /usr/bin/chromium and this is not root on Debian/Ubuntu: install it (apt-get install chromium) or set AIMI_CHROMIUM."
    apt_install chromium fonts-liberation  # fonts: without them screenshots show boxes for text
  fi
  exit 0
fi

# --- PostgreSQL -------------------------------------------------------------------------------
if ! [ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]; then
  apt_install postgresql-$PG_VERSION postgresql-client-$PG_VERSION
fi
if [ "$INSTALL_ONLY" -eq 0 ] && ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$PG_VERSION main$"; then
  log "creating PostgreSQL cluster $PG_VERSION/main"
  pg_createcluster $PG_VERSION main -p "$PG_PORT" >/dev/null
fi

# --- pgvector (not packaged for Debian 12: build Debian's own source package) ----------------
if ! [ -f /usr/lib/postgresql/$PG_VERSION/lib/vector.so ]; then
  if ! [ -f /usr/include/postgresql/$PG_VERSION/server/postgres.h ] || ! command -v make >/dev/null || ! command -v dpkg-source >/dev/null; then
    apt_install postgresql-server-dev-$PG_VERSION build-essential dpkg-dev
  fi
  if ! grep -rqs "trixie" /etc/apt/sources.list.d/aimi-trixie-src.sources; then
    # The machine's own Debian mirror: first non-security URI of an active (uncommented) entry.
    mirror=$( { grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null || true; } \
      | grep -oE 'https?://[^ ]+/debian/?' | grep -v security | head -n1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    log "adding deb-src for trixie from $mirror (pgvector source only)"
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
      > /etc/apt/sources.list.d/aimi-trixie-src.sources
    apt_updated=0
  fi
  if [ "$apt_updated" -eq 0 ]; then apt-get update -qq >/dev/null || fail "apt-get update failed"; apt_updated=1; fi
  build_dir=$(mktemp -d /tmp/aimi-pgvector.XXXXXX)
  log "building pgvector from source in $build_dir"
  (cd "$build_dir" && apt-get source -qq pgvector >/dev/null 2>&1) || fail "apt-get source pgvector failed"
  src=$(find "$build_dir" -maxdepth 1 -mindepth 1 -type d -name 'pgvector*' | head -n1)
  [ -n "$src" ] || fail "pgvector source folder not found"
  make -s -C "$src" PG_CONFIG=/usr/lib/postgresql/$PG_VERSION/bin/pg_config OPTFLAGS="" >/dev/null 2>&1 || fail "pgvector build failed"
  make -s -C "$src" PG_CONFIG=/usr/lib/postgresql/$PG_VERSION/bin/pg_config install >/dev/null 2>&1 || fail "pgvector install failed"
  rm -rf "$build_dir"
fi

command -v redis-server >/dev/null 2>&1 || apt_install redis-server
command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
if [ "$INSTALL_ONLY" -eq 1 ]; then
  log "installed: PostgreSQL $PG_VERSION with pgvector, Redis, RabbitMQ"
  exit 0
fi

if ! pg_isready -q -h localhost -p "$PG_PORT"; then
  log "starting PostgreSQL"
  pg_ctlcluster $PG_VERSION main start 9>&- || true
  for _ in $(seq 1 50); do pg_isready -q -h localhost -p "$PG_PORT" && break; sleep 0.2; done
  pg_isready -q -h localhost -p "$PG_PORT" || fail "PostgreSQL did not become ready on port $PG_PORT"
fi
# A superuser role for the services and tests (development only: it creates databases and the vector extension).
su postgres -c "psql -q -p $PG_PORT -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'\"" | grep -q 1 \
  || su postgres -c "psql -q -p $PG_PORT -c \"CREATE ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASSWORD'\"" >/dev/null
# Enough connections for several test hosts at once, and a buffer cache of a quarter of the memory (at most 4 GB; Debian's
# default is 128 MB) so a large working set, such as the Memory benchmark's million memories, is served from PostgreSQL's own
# cache. Both need a restart, done once, under the lock, before anything else uses the server.
pg_setting() { su postgres -c "psql -p $PG_PORT -tAc \"SELECT setting::bigint FROM pg_settings WHERE name = '$1'\""; }
restart=0
if [ "$(pg_setting max_connections)" -lt 300 ]; then
  log "raising max_connections to 300"
  su postgres -c "psql -q -p $PG_PORT -c 'ALTER SYSTEM SET max_connections = 300'" >/dev/null
  restart=1
fi
memory_mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
buffers_mb=$(( memory_mb / 4 < 4096 ? memory_mb / 4 : 4096 ))
if [ "$(( $(pg_setting shared_buffers) * 8 / 1024 ))" -lt "$buffers_mb" ]; then
  log "raising shared_buffers to ${buffers_mb} MB"
  su postgres -c "psql -q -p $PG_PORT -c \"ALTER SYSTEM SET shared_buffers = '${buffers_mb}MB'\"" >/dev/null
  restart=1
fi
if [ "$restart" -eq 1 ]; then
  pg_ctlcluster $PG_VERSION main restart 9>&-
  for _ in $(seq 1 50); do pg_isready -q -h localhost -p "$PG_PORT" && break; sleep 0.2; done
fi

# --- Redis ------------------------------------------------------------------------------------
command -v redis-server >/dev/null 2>&1 || apt_install redis-server
if ! redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
  log "starting Redis"
  redis-server --daemonize yes --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 9>&-
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG || fail "Redis did not become ready on port $REDIS_PORT"
fi

# --- RabbitMQ ---------------------------------------------------------------------------------
command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
if ! grep -qs rabbitmq_management /etc/rabbitmq/enabled_plugins; then
  rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
fi
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 9>&- || true
fi
# await_startup waits until the node (and port 5672) really accepts clients; it fails at once while
# the freshly started node is not yet reachable, so ask again until a deadline.
deadline=$((SECONDS + 120))
until rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || fail "RabbitMQ did not start (see /var/log/rabbitmq)"
  sleep 1
done
# Management API for vhost creation by the tests: guest is loopback-only, which is all we need.
for _ in $(seq 1 100); do curl -sf -u guest:guest "http://localhost:15672/api/overview" >/dev/null && break; sleep 0.2; done

log "ready: postgres :$PG_PORT (user $DB_USER), redis :$REDIS_PORT, rabbitmq :$AMQP_PORT (management :15672)"
