#!/usr/bin/env bash
# Validates docker-compose.yml (every profile) with Compose itself; no engine is needed for this.
# scripts/setup.sh installs Debian's docker-compose where it can; without it this says so and passes.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then compose=(docker-compose)
else
  echo "compose check skipped: neither 'docker compose' nor docker-compose is installed here"
  exit 0
fi
"${compose[@]}" -f docker-compose.yml --profile observability config -q
echo "✓ docker-compose.yml is valid ($("${compose[@]}" version --short 2>/dev/null || echo compose))"
