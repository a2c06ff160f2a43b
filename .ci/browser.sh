#!/usr/bin/env bash
# The panel's browser suite: Playwright driving Debian's headless Chromium against live_server.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  $SUDO apt-get install -y chromium
fi

exec .venv/bin/pytest tests/browser -q "$@"
