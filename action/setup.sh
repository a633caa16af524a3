#!/usr/bin/env bash
# The action's main step (run by main.js): build what this checkout of the action lacks, put the caching gh
# first on PATH for the rest of the job, start the peer daemon and install the crash hook when asked, and
# note where the stats stood, so the post step (post.sh) can report this job's figures alone.
# Inputs arrive as INPUT_* variables, as the runner passes them to a JavaScript action.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work="${RUNNER_TEMP:?RUNNER_TEMP is not set: this script runs inside a GitHub Actions job}/ghcache-action"
log="$work/setup.log"

# One clear line (an annotation on the run) and a failed step; the details stay in the log above it.
fail() {
  [ -s "$log" ] && tail -n 20 "$log" >&2
  echo "::error title=ghcache::$*"
  exit 1
}

mkdir -p "$work/bin"
: >"$log"
python=$(command -v "${INPUT_PYTHON:-python3}") || fail "no ${INPUT_PYTHON:-python3} on PATH (add actions/setup-python before this action)"
python=$("$python" -c 'import sys; print(sys.executable)') || fail "$python does not run"

# A Python with pip: this one, or a venv of the action's own (which also holds the daemon's libp2p).
venv="$work/venv"
make_venv() {
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" >>"$log" 2>&1 || fail "could not create a venv with $python (on Debian/Ubuntu: apt-get install python3-venv)"
  fi
}

# 1. The zipapps (bin/*.pyz are built, not committed): only the standard library and the package index.
if [ ! -f "$root/bin/ghcache.pyz" ] || [ ! -f "$root/bin/autoheal.pyz" ]; then
  builder=$python
  if ! "$python" -m pip --version >/dev/null 2>&1; then
    make_venv
    builder=$venv/bin/python
  fi
  "$builder" "$root/scripts/build_zipapps.py" >>"$log" 2>&1 \
    || fail "could not build ghcache.pyz and autoheal.pyz (pip could not fetch argh, urllib3, platformdirs?)"
fi

# 2. The peer daemon needs libp2p, which the zipapp leaves out: the action's venv gets the p2p extra.
ghcache=("$python" "$root/bin/ghcache.pyz")
if [ "${INPUT_DAEMON:-false}" = "true" ]; then
  make_venv
  if [ ! -x "$venv/bin/ghcache" ] || ! "$venv/bin/python" -c 'import libp2p' >/dev/null 2>&1; then
    "$venv/bin/python" -m pip install --quiet "${root}[p2p,ipfs]" >>"$log" 2>&1 \
      || fail "could not install the peer daemon's dependencies (pip install '.[p2p,ipfs]' failed)"
  fi
  ghcache=("$venv/bin/ghcache")
fi

# 3. gh first on PATH for later steps (GITHUB_PATH, GITHUB_ENV); gh-cache.sh does that part. The job summary
# is the post step's, and the daemon is started below, where a failure fails the step.
export GH_CACHE_PYTHON=$python GH_CACHE_DIR=${GH_CACHE_DIR:-$RUNNER_TEMP/gh-cache}
(
  unset GH_CACHE_P2P GH_CACHE_IPFS GH_CACHE_DAEMON
  export GH_CACHE_STEP_SUMMARY=0
  # shellcheck source=/dev/null
  . "$root/shims/gh-cache.sh"
) || fail "shims/gh-cache.sh failed"

# `ghcache` and `autoheal` on PATH too (the CLIs; triage runs as `autoheal triage`).
launcher() {  # NAME COMMAND...: a tiny script that runs COMMAND with the caller's arguments
  local name=$1
  shift
  { echo '#!/usr/bin/env bash'; printf 'exec'; printf ' %q' "$@"; echo ' "$@"'; } >"$work/bin/$name"
}
launcher ghcache "${ghcache[@]}"
launcher autoheal "$python" "$root/bin/autoheal.pyz"
chmod +x "$work/bin/ghcache" "$work/bin/autoheal"
echo "$work/bin" >>"$GITHUB_PATH"
{
  echo "AUTOHEAL_ENABLED=1"
  echo "AUTOHEAL_REPO=${GITHUB_REPOSITORY:-}"
} >>"$GITHUB_ENV"

if [ "${INPUT_DAEMON:-false}" = "true" ]; then
  if ! started=$("${ghcache[@]}" daemon start 2>&1); then
    echo "$started" >>"$log"
    fail "the peer daemon did not start: $(echo "$started" | head -n 1)"
  fi
  echo "$started"
  echo "daemon=1" >>"$GITHUB_STATE"
fi

# 4. The crash hook, from the self-contained zipapp.
if [ -n "${INPUT_VENV:-}" ]; then
  "$python" "$root/bin/autoheal.pyz" install --venv "$INPUT_VENV" || fail "autoheal could not install its hook into $INPUT_VENV"
fi

# 5. Where the counters stand now: the post step reports what this job added.
baseline="$work/baseline-${GITHUB_ACTION:-ghcache}.json"
"${ghcache[@]}" stats --json >"$baseline" 2>>"$log" || fail "ghcache stats failed (is GH_CACHE_DIR=$GH_CACHE_DIR writable?)"
{
  echo "baseline=$baseline"
  echo "summary=${INPUT_SUMMARY:-true}"
  printf 'ghcache=%s\n' "$work/bin/ghcache"
} >>"$GITHUB_STATE"
echo "ghcache: gh is cached for the rest of this job (GH_CACHE_DIR=$GH_CACHE_DIR)"
