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
