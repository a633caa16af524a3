#!/usr/bin/env bash
# Installs the system parts the end-to-end tests drive for real (Node, Chromium, an IPFS node, Debian's Python,
# zsh, dash, jq, iproute2 and iptables, and GitHub's API descriptions for the fakehub contract tests).
# Each step is idempotent and quiet when everything is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for step in setup-js.sh setup-ipfs.sh setup-python.sh setup-shells.sh setup-netns.sh setup-octokit.sh; do
  if [ -f "$here/$step" ]; then
    bash "$here/$step"
  fi
done
