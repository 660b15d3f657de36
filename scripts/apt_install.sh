#!/usr/bin/env bash
# apt_install.sh CHECK PACKAGE... — install Debian packages unless CHECK (a path, or a command
# on the PATH) is already there. Used by `make setup` for the two system packages the course
# needs: chromium (+ chromium-driver) for the browser test, driven by Playwright's Python
# package with executable_path=/usr/bin/chromium (we never run `playwright install`), and
# bubblewrap (bwrap) for the sandbox `make grade` runs every submission in. Needs root or sudo.
set -euo pipefail
check=$1
shift
if [[ -x $check ]] || command -v "$check" >/dev/null; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
  SUDO=""
elif command -v sudo >/dev/null; then
  SUDO="sudo"
else
  echo "apt_install.sh: $check is missing and we are not root." >&2
  echo "  Install it with: apt-get update && apt-get install -y $*" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# the package lists of a fresh machine may be missing or stale: update once, only if needed
$SUDO apt-get install -y "$@" || { $SUDO apt-get update && $SUDO apt-get install -y "$@"; }
