#!/usr/bin/env bash
# Installs a real IPFS node for the IPFS-tier tests: js-ipfs 0.66.1 from npm into .tools/ipfs (gitignored).
# No Kubo binary can be installed offline (its installers download from their own hosts); js-ipfs speaks
# the same RPC. The overrides pin the last releases that still run on Node 20. Idempotent, quiet when done.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.tools/ipfs"
if [ -x "$dir/node_modules/.bin/jsipfs" ] && [ -f "$dir/.complete" ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "setup-ipfs: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
cat > "$dir/package.json" <<'JSON'
{
  "name": "ghcache-test-ipfs",
  "private": true,
  "dependencies": { "ipfs": "0.66.1" },
  "overrides": {
    "mortice": "3.0.6",
    "@multiformats/multiaddr": "11.6.1",
    "@multiformats/mafmt": "11.1.2"
  }
}
JSON
echo "setup-ipfs: installing js-ipfs 0.66.1 into .tools/ipfs (a few minutes, once)"
(cd "$dir" && npm install --no-audit --no-fund --loglevel=error >npm-install.log 2>&1) || {
    tail -20 "$dir/npm-install.log" >&2
    exit 1
}
touch "$dir/.complete"
