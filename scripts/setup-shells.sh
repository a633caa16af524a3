#!/usr/bin/env bash
# System parts of the shell and CLI tests: zsh and dash (gh-cache.sh is sourced in each) and jq (`--jq`).
# Idempotent and quiet when everything is already installed.
set -euo pipefail

missing=()
for program in zsh dash jq; do
  command -v "$program" >/dev/null 2>&1 || missing+=("$program")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup-shells: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
