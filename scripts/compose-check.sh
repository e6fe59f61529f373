#!/usr/bin/env bash
# Validates docker-compose.yml (every profile) with Compose itself; no engine is needed for this.
# It must be valid with a fresh set of secrets (npm run compose:secrets), and refused without them.
# scripts/setup.sh installs Debian's docker-compose where it can; without it this says so and passes.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then compose=(docker-compose)
else
  echo "compose check skipped: neither 'docker compose' nor docker-compose is installed here"
  exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
node_modules/.bin/tsx scripts/compose-secrets.ts "$dir/secrets.env" >/dev/null
# Only the env file given: neither a developer's .env nor this shell's variables take part.
check() { env -i PATH="$PATH" HOME="$HOME" "${compose[@]}" --env-file "$1" -f docker-compose.yml --profile observability config -q; }
check "$dir/secrets.env"
: >"$dir/empty.env"
if check "$dir/empty.env" 2>"$dir/refusal"; then
  echo "✗ docker-compose.yml starts without its secrets" >&2
  exit 1
fi
grep -q 'run npm run compose:secrets' "$dir/refusal" || { echo "✗ unexpected refusal:" >&2; cat "$dir/refusal" >&2; exit 1; }
echo "✓ docker-compose.yml is valid with its secrets and refused without them ($("${compose[@]}" version --short 2>/dev/null || echo compose))"
