#!/usr/bin/env bash
# Debian's bubblewrap: the sandbox `make grade` runs every submission in (grading/sandbox.py).
# Skipped when bwrap is on the PATH. Needs root (or sudo) for apt-get.
set -euo pipefail
if command -v bwrap >/dev/null; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
  SUDO=""
elif command -v sudo >/dev/null; then
  SUDO="sudo"
else
  echo "install_sandbox.sh: bubblewrap (bwrap) is missing and we are not root." >&2
  echo "  Install it with: apt-get update && apt-get install -y bubblewrap" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y bubblewrap || { $SUDO apt-get update && $SUDO apt-get install -y bubblewrap; }
