#!/usr/bin/env bash
# The action's post step (run by post.js once every other step of the job has run, even after a failure):
# this job's figures in the job summary, the cache's lifetime totals folded away below them, and the peer
# daemon stopped so it hands over what it holds. Never fails the job: a summary is not worth a red run.
set -uo pipefail

ghcache=${STATE_ghcache:-}
if [ -z "$ghcache" ] || [ ! -x "$ghcache" ]; then
  echo "ghcache: the main step did not finish; no summary"
  exit 0
fi
if [ "${STATE_summary:-true}" = "true" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  "$ghcache" stats --markdown --since "${STATE_baseline:-}" >>"$GITHUB_STEP_SUMMARY" \
    || echo "::warning title=ghcache::could not write the job summary"
fi
"$ghcache" stats --since "${STATE_baseline:-}" || true
if [ "${STATE_daemon:-}" = "1" ]; then
  "$ghcache" daemon stop || true
fi
exit 0
