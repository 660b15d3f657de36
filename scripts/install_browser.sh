#!/usr/bin/env bash
# Debian's chromium (+ chromium-driver) for the browser test, driven by Playwright's Python
# package with executable_path=/usr/bin/chromium (we never run `playwright install`).
# Skipped when /usr/bin/chromium exists. Needs root (or sudo) for apt-get.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
  SUDO=""
elif command -v sudo >/dev/null; then
  SUDO="sudo"
else
  echo "install_browser.sh: /usr/bin/chromium is missing and we are not root." >&2
  echo "  Install it with: apt-get update && apt-get install -y chromium chromium-driver" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium chromium-driver
