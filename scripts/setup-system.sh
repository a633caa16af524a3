#!/usr/bin/env bash
# Installs the system parts the end-to-end tests drive for real (Node, Chromium, an IPFS node, zsh, dash, jq).
# Each step is idempotent and quiet when everything is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for step in setup-js.sh setup-ipfs.sh setup-shells.sh; do
  if [ -f "$here/$step" ]; then
    bash "$here/$step"
  fi
done
