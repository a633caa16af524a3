#!/usr/bin/env bash
# Installs the system parts the end-to-end tests drive for real. Idempotent and quiet when all is there.
set -euo pipefail
echo "system: nothing extra needed yet"
