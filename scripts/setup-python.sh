#!/usr/bin/env bash
# System parts of the autoheal install tests: Debian's own Python with its venv module (python3-venv), so the
# hook is tested in venvs made by `/usr/bin/python3 -m venv`. Idempotent and quiet when already installed.
set -euo pipefail

if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "setup-python: no apt-get; install python3 and python3-venv" >&2; exit 1; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup-python: installing python3 python3-venv"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
