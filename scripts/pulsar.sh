#!/usr/bin/env bash
# Apache Pulsar standalone for development and CI.
#
#   scripts/pulsar.sh start     download (once), configure, start in the background, wait until ready,
#                               create the tenant and namespaces; does nothing if a broker already answers
#   scripts/pulsar.sh stop      stop the broker this script started
#   scripts/pulsar.sh status    exit 0 when a broker answers on the admin URL and can write (its health check)
#   scripts/pulsar.sh download  fetch and unpack the distribution only
#
# The broker always runs with token authentication and authorization. At first start this script
# makes the broker's secret key (`bin/pulsar tokens create-secret-key`) and one token per role
# (admin, and one per service) under $BEACON_SECRETS_DIR/pulsar (see scripts/pulsar-tokens.ts); the
# admin token does the set-up, and `scripts/provision.ts` grants each service its topics.
#
# When PULSAR_URL and PULSAR_ADMIN_URL are both set, an existing cluster is used: nothing is
# downloaded or started, only the tenant and namespaces are created there, with the admin token
# in PULSAR_ADMIN_TOKEN_FILE.
set -euo pipefail

PULSAR_VERSION=${PULSAR_VERSION:-4.0.8}
CACHE_DIR=${BEACON_CACHE_DIR:-$HOME/.cache/beacon}
PULSAR_HOME_DIR="$CACHE_DIR/apache-pulsar-$PULSAR_VERSION"
RUN_DIR="$CACHE_DIR/pulsar-run"
PID_FILE="$RUN_DIR/pulsar.pid"
LOG_FILE="$RUN_DIR/pulsar-standalone.log"
ADMIN_URL=${PULSAR_ADMIN_URL:-http://127.0.0.1:8080}
TENANT=${PULSAR_TENANT:-beacon}
NAMESPACES=${PULSAR_NAMESPACES:-"bff campaign tracking commission payment webhook test"}
READY_TIMEOUT_S=${PULSAR_READY_TIMEOUT_S:-240}
WRITABLE_TIMEOUT_S=${PULSAR_WRITABLE_TIMEOUT_S:-120}
# The bookie turns read-only when its disk is fuller than a threshold (then every write fails with "Not
# enough non-faulty bookies available"); the threshold is set so that it stops with this much left free.
DISK_RESERVE_MB=${PULSAR_DISK_RESERVE_MB:-2048}
SECRETS_DIR=${BEACON_SECRETS_DIR:-$CACHE_DIR/secrets}
AUTH_DIR="$SECRETS_DIR/pulsar"
ROLES="admin bff campaign tracking commission payment webhook"
ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"

log() { printf '[pulsar] %s\n' "$*" >&2; }

external_cluster() { [ -n "${PULSAR_URL:-}" ] && [ -n "${PULSAR_ADMIN_URL:-}" ]; }

admin_token_file() {
  if external_cluster; then echo "${PULSAR_ADMIN_TOKEN_FILE:?PULSAR_ADMIN_TOKEN_FILE must name the admin token of the cluster at PULSAR_ADMIN_URL}"; else echo "$AUTH_DIR/admin.token"; fi
}

# curl as the admin role; the header comes from a file, so the token never shows in a process list
admin_curl() {
  local header="$AUTH_DIR/.admin-header"
  mkdir -p "$AUTH_DIR"
  (umask 077 && printf 'Authorization: Bearer %s\n' "$(cat "$(admin_token_file)")" >"$header")
  curl -H "@$header" "$@"
}

answers() {
  # The broker answers "ready" before standalone has written its cluster and the public/default
  # namespace; tenant creation fails with 412 until then, so wait for that last step too.
  [ -f "$(admin_token_file)" ] || return 1
  admin_curl -fsS -m 5 "$ADMIN_URL/admin/v2/brokers/ready" >/dev/null 2>&1 &&
    admin_curl -fsS -m 5 "$ADMIN_URL/admin/v2/namespaces/public" 2>/dev/null | grep -q 'public/default'
}

# A broker that answers can still refuse every write: its bookie may be read-only (a full disk) or not
# registered yet, and the admin API then answers topic creation with HTTP 500. The broker's health check
# writes to and reads from a heartbeat topic, through the bookie.
writable() { admin_curl -fsS -m 30 "$ADMIN_URL/admin/v2/brokers/health?topicVersion=V2" 2>/dev/null | grep -q ok; }

is_ready() { answers && writable; }

wait_writable() {
  local t0=$SECONDS
  until writable; do
    if [ $((SECONDS - t0)) -ge "$WRITABLE_TIMEOUT_S" ]; then
      log "the broker at $ADMIN_URL answers but cannot write (its health check failed for ${WRITABLE_TIMEOUT_S}s)"
      # The bookie counts a disk's use as 1 - available/size, which is not df's Use% where space is reserved.
      log "where the bookie writes: $(df -Pk "$RUN_DIR" | awk 'NR==2 {printf "%d MB free of %d MB on %s, %.1f%% used as the bookie counts", $4 / 1024, $2 / 1024, $6, (1 - $4 / $2) * 100}'); its limit is $(grep -E '^diskUsageThreshold=' "$RUN_DIR/standalone.conf" 2>/dev/null | cut -d= -f2)"
      if [ -f "$LOG_FILE" ]; then
        log "the bookie's last state changes and errors in $LOG_FILE:"
        grep -E 'RegisterBookie|read-only|readOnly|DiskChecker|ERROR org\.apache\.bookkeeper' "$LOG_FILE" | tail -n 12 >&2 || true
      fi
      exit 1
    fi
    sleep 2
  done
  [ $((SECONDS - t0)) -lt 2 ] || log "writable after $((SECONDS - t0)) s"
}

# diskUsageThreshold for the bookie: the fraction of the disk in use at which it turns read-only, chosen
# so that DISK_RESERVE_MB stay free, and never below the distribution's 0.99 (which on a large shared disk
# can leave gigabytes unused and stop the broker). Says so when the disk is already past it.
disk_threshold() {
  local total_kb avail_kb
  read -r total_kb avail_kb < <(df -Pk "$RUN_DIR" | awk 'NR==2 {print $2, $4}')
  awk -v total="$total_kb" -v avail="$avail_kb" -v reserve="$((DISK_RESERVE_MB * 1024))" 'BEGIN {
    t = 1 - reserve / total; if (t < 0.99) t = 0.99; if (t > 0.999) t = 0.999
    used = 1 - avail / total
    if (used >= t) printf "[pulsar] the disk under the broker is %.1f%% used (%d MB free): the bookie will be read-only and refuse every write\n", used * 100, avail / 1024 > "/dev/stderr"
    printf "%.4f\n", t
  }'
}

# A broker that answers its admin API without a token was started before authentication was on
# (by an older version of this script): it is restarted with it.
answers_anonymously() { curl -fsS -m 5 -o /dev/null "$ADMIN_URL/admin/v2/clusters" 2>/dev/null; }

# The broker's secret key and one token per role, made once and kept (owner-only) for later runs.
ensure_auth() {
  mkdir -p "$AUTH_DIR"
  chmod 700 "$SECRETS_DIR" "$AUTH_DIR"
  if [ ! -s "$AUTH_DIR/secret.key" ]; then
    log "making the broker's token secret key"
    (cd "$PULSAR_HOME_DIR" && bin/pulsar tokens create-secret-key --output "$AUTH_DIR/secret.key" >/dev/null)
    rm -f "$AUTH_DIR"/*.token
  fi
  chmod 600 "$AUTH_DIR/secret.key"
  local missing=""
  for role in $ROLES; do [ -s "$AUTH_DIR/$role.token" ] || missing="$missing $role"; done
  # shellcheck disable=SC2086
  [ -z "$missing" ] || "$ROOT_DIR/node_modules/.bin/tsx" "$ROOT_DIR/scripts/pulsar-tokens.ts" "$AUTH_DIR" $missing
}

download() {
  [ -x "$PULSAR_HOME_DIR/bin/pulsar" ] && return 0
  mkdir -p "$CACHE_DIR"
  local t0=$SECONDS out="$CACHE_DIR/download"
  log "fetching org.apache.pulsar:pulsar-server-distribution:$PULSAR_VERSION:tar.gz:bin from Maven Central"
  # dependency-plugin 3.6+ can copy an artifact without a project; Debian's Maven ships an older default.
  mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
    -Dartifact="org.apache.pulsar:pulsar-server-distribution:$PULSAR_VERSION:tar.gz:bin" \
    -DoutputDirectory="$out" >&2
  local tarball="$out/pulsar-server-distribution-$PULSAR_VERSION-bin.tar.gz"
  log "downloaded $(du -m "$tarball" | cut -f1) MB in $((SECONDS - t0)) s; unpacking"
  tar xzf "$tarball" -C "$CACHE_DIR"
  rm -f "$tarball"
}

write_config() {
  mkdir -p "$RUN_DIR"
  local conf="$RUN_DIR/standalone.conf" overrides="$RUN_DIR/standalone.overrides"
  # The distribution's file, less every key set below, then the overrides. Both loaders read this file:
  # the broker's (java.util.Properties: a later key wins) and the bookie's (Commons Configuration: a
  # repeated key becomes a list, and a number is read from its first element, the distribution's). So a
  # key must appear once; appended alone, the bookie's cache sizes and disk limit were never applied.
  cat >"$overrides" <<'EOF'

# --- Beacon overrides: a 2-core development machine ---
advertisedAddress=127.0.0.1
bindAddress=127.0.0.1
webSocketServiceEnabled=true
# Topics with no producers or subscriptions must survive between test runs and demo restarts.
brokerDeleteInactiveTopicsEnabled=false
isSchemaValidationEnforced=false
# Every client proves its role with a token signed by the secret key; each role may only do what
# scripts/provision.ts grants it. The broker's own clients (the WebSocket service's producers and
# consumers, dead-letter producers) use the admin role.
authenticationEnabled=true
authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken
tokenSecretKey=file://__AUTH_DIR__/secret.key
authorizationEnabled=true
superUserRoles=admin
brokerClientAuthenticationPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken
brokerClientAuthenticationParameters=file://__AUTH_DIR__/admin.token
# Tests create a tenant of their own and remove it with everything in it afterwards.
forceDeleteNamespaceAllowed=true
forceDeleteTenantAllowed=true
numIOThreads=2
numHttpServerThreads=8
numOrderedExecutorThreads=2
numExecutorThreadPoolSize=2
managedLedgerNumSchedulerThreads=2
bookkeeperNumberOfChannelsPerBookie=4
dbStorage_writeCacheMaxSizeMb=32
dbStorage_readAheadCacheMaxSizeMb=32
dbStorage_rocksDB_blockCacheSize=33554432
managedLedgerCacheSizeMB=64
# Back-pressure instead of death: a producer at full speed once exhausted the 512 MiB of direct
# memory (OutOfDirectMemoryError, broker wedged). The broker now stops reading from publishers while
# this much publish data is pending, and bounds pending publishes per connection.
maxMessagePublishBufferSizeInMB=64
maxPendingPublishRequestsPerConnection=200
# A cursor that finds no new entries waits this long before it asks to be told of the next one, so a
# message that lands in that window waited up to 10 ms (the default) for its consumer: one hop of
# a flow paid it again and again. At 0 the cursor registers at once; nothing polls.
managedLedgerNewEntriesCheckDelayInMillis=0
# The bookie listens on loopback only: with no interface named it bound 0.0.0.0 (its RPC has no auth).
listeningInterface=lo
allowLoopback=true
EOF
  local threshold
  threshold=$(disk_threshold)
  printf '%s\n' "# The bookie's disk limit, from the free space at start (disk_threshold in scripts/pulsar.sh)." \
    "diskUsageThreshold=$threshold" "diskUsageWarnThreshold=$threshold" "diskUsageLwmThreshold=$threshold" >>"$overrides"
  sed -i "s#__AUTH_DIR__#$AUTH_DIR#g" "$overrides"
  local keys
  keys=$(grep -oE '^[A-Za-z0-9_.]+=' "$overrides" | tr -d '=' | paste -sd '|')
  { grep -vE "^($keys)=" "$PULSAR_HOME_DIR/conf/standalone.conf"; echo; cat "$overrides"; } >"$conf"
  rm -f "$overrides"
  echo "$conf"
}

start() {
  if external_cluster; then
    log "using the cluster at $PULSAR_ADMIN_URL (PULSAR_URL and PULSAR_ADMIN_URL are set): nothing started"
    create_namespaces
    return 0
  fi
  download
  ensure_auth
  if answers_anonymously && [ -f "$PID_FILE" ]; then
    log "the broker at $ADMIN_URL runs without authentication; restarting it with authentication"
    stop
  elif answers_anonymously; then
    log "a broker this script did not start answers at $ADMIN_URL without authentication; stop it first"
    exit 1
  fi
  if answers; then
    log "a broker already answers at $ADMIN_URL"
    wait_writable
    create_namespaces
    return 0
  fi
  local conf
  conf=$(write_config)
  local t0=$SECONDS
  # The JIT's C2 compiler was the broker's busiest thread: 37% of its CPU over a fresh broker's first
  # minutes of bench load. C1 alone (TieredStopAtLevel=1) compiles far less and cheaper: the same run
  # cost the broker 47 s of CPU instead of 68 s (bench/RESULTS.md, "broker JVM"). Set PULSAR_GC to choose.
  log "starting standalone (log: $LOG_FILE)"
  (
    cd "$PULSAR_HOME_DIR"
    PULSAR_MEM=${PULSAR_MEM:-"-Xms256m -Xmx1g -XX:MaxDirectMemorySize=512m"} \
    PULSAR_GC=${PULSAR_GC:-"-XX:+UseG1GC -XX:+PerfDisableSharedMem -XX:TieredStopAtLevel=1"} \
    PULSAR_GC_LOG=" " \
    PULSAR_LOG_DIR="$RUN_DIR/logs" \
    PULSAR_STANDALONE_CONF="$conf" \
      nohup bin/pulsar standalone --no-functions-worker --no-stream-storage \
        --metadata-dir "$RUN_DIR/data/metadata" --bookkeeper-dir "$RUN_DIR/data/bookkeeper" \
        >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
  )
  until answers; do
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      log "standalone exited during startup; last lines of $LOG_FILE:"
      tail -n 40 "$LOG_FILE" >&2
      exit 1
    fi
    if [ $((SECONDS - t0)) -ge "$READY_TIMEOUT_S" ]; then
      log "not ready after ${READY_TIMEOUT_S}s; see $LOG_FILE"
      exit 1
    fi
    sleep 1
  done
  wait_writable
  log "ready in $((SECONDS - t0)) s at $ADMIN_URL"
  create_namespaces
}

admin_put() { # path [json-body]: 204/409 (already exists) are both fine
  local code
  code=$(admin_curl -sS -m 20 -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    --data "${2:-{\}}" "$ADMIN_URL/admin/v2/$1")
  case "$code" in 2*|409) ;; *) log "PUT $1 -> HTTP $code"; return 1 ;; esac
}

create_namespaces() {
  local clusters
  clusters=$(admin_curl -fsS -m 10 "$ADMIN_URL/admin/v2/clusters")
  admin_put "tenants/$TENANT" "{\"allowedClusters\":$clusters}"
  for ns in $NAMESPACES; do admin_put "namespaces/$TENANT/$ns"; done
  log "tenant $TENANT with namespaces: $NAMESPACES"
}

stop() {
  if [ ! -f "$PID_FILE" ]; then log "no broker started by this script"; return 0; fi
  local pid
  pid=$(cat "$PID_FILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "stopped (pid $pid)"
  fi
  rm -f "$PID_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) is_ready ;;
  download) download ;;
  *) echo "usage: $0 start|stop|status|download" >&2; exit 2 ;;
esac
