#!/usr/bin/env bash
# Installs GitHub's published API descriptions for the fakehub contract tests: @octokit/openapi (REST),
# @octokit/graphql-schema (GraphQL) and @octokit/fixtures (recorded api.github.com exchanges), from npm at
# exact versions into .tools/octokit (gitignored). Bump a version here to re-pin; the tests name what they
# loaded. Idempotent, quiet when done.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.tools/octokit"
pins='"@octokit/openapi": "23.0.2", "@octokit/graphql-schema": "15.26.1", "@octokit/fixtures": "23.1.2"'
manifest="{\"name\": \"ghcache-test-octokit\", \"private\": true, \"dependencies\": {$pins}}"
if [ -f "$dir/.complete" ] && [ "$(cat "$dir/package.json" 2>/dev/null)" = "$manifest" ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "setup-octokit: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
printf '%s' "$manifest" > "$dir/package.json"
echo "setup-octokit: installing GitHub's API descriptions into .tools/octokit (once)"
(cd "$dir" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error >npm-install.log 2>&1) || {
    tail -20 "$dir/npm-install.log" >&2
    exit 1
}
touch "$dir/.complete"
