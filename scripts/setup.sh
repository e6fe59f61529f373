#!/usr/bin/env bash
# Brings a fresh machine of this kind to the point where the fleet and the tests can run:
# pnpm, packages, PostgreSQL up, Pulsar downloaded and started. Every step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  echo "[setup] installing pnpm 9 (corepack's signature check fails here)"
  npm install -g pnpm@9 >/dev/null
fi
if [ ! -d node_modules/.pnpm ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  echo "[setup] installing packages"
  pnpm install --frozen-lockfile
fi
if ! pg_isready -q -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}"; then
  if [ -z "${PGHOST:-}" ] || [ "${PGHOST}" = 127.0.0.1 ]; then
    echo "[setup] starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  fi
fi
scripts/pulsar.sh start
# The Node .nvmrc names (npm test, the fleet and the bench run on it through scripts/node.sh).
scripts/node.sh --install

# The console's browser tests drive Debian's chromium (Playwright's own download cannot be reached here).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "[setup] installing chromium for the console's browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >/dev/null || {
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >/dev/null
  }
fi
# docker-compose.yml is validated by Compose itself (no engine runs here): Debian's docker-compose.
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "[setup] installing docker-compose to validate docker-compose.yml"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q docker-compose >/dev/null || echo "[setup] docker-compose is not installable here; the compose check will say so"
fi
# The BFF serves the console's build at /app: build it when missing or older than its sources.
if [ ! -f apps/console/dist/index.html ] || [ -n "$(find apps/console/src apps/console/index.html apps/console/vite.config.ts -newer apps/console/dist/index.html -print -quit)" ]; then
  echo "[setup] building the console"
  pnpm --filter @beacon/console build >/dev/null
fi
