# shellcheck shell=bash
# Source this file (bash or zsh) to answer gh's read commands from a cache:
#     source path/to/shims/gh-cache.sh
# It puts a gh launcher (bin/shim/gh, or shims/gh where that cannot be written) first on PATH (and on $GITHUB_PATH inside GitHub Actions), exports the settings the
# shim needs to the rest of the job, starts the peer daemon when GH_CACHE_P2P=1 or GH_CACHE_IPFS=1, and
# defines `gh_cache_stats` and `gh_cache_summary` (a Markdown stats table for $GITHUB_STEP_SUMMARY).

_gh_cache_here=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)  # zsh: $0 is the sourced file
_gh_cache_root=$(dirname "$_gh_cache_here")

# The real interpreter: a version-manager shell shim in front of python3 costs tens of ms per gh call.
if [ -z "${GH_CACHE_PYTHON:-}" ]; then
  GH_CACHE_PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || GH_CACHE_PYTHON=python3
fi
GH_CACHE_PYZ=${GH_CACHE_PYZ:-$_gh_cache_root/bin/ghcache.pyz}
export GH_CACHE_PYTHON GH_CACHE_PYZ

if [ ! -f "$GH_CACHE_PYZ" ]; then
  echo "gh-cache.sh: $GH_CACHE_PYZ is missing (run 'make zipapps'); gh stays uncached" >&2
else
  # The fast launcher: a `gh` whose #! line runs the interpreter directly (no shell in between, ~3 ms
  # less per call). Where it cannot be written, the portable shims/gh does the same job.
  _gh_cache_bin=${GH_CACHE_SHIM_DIR:-$_gh_cache_root/bin/shim}
  if ! "$GH_CACHE_PYTHON" "$GH_CACHE_PYZ" install-shim "$_gh_cache_bin" >/dev/null 2>&1; then
    _gh_cache_bin=$_gh_cache_here
  fi
  case ":$PATH:" in
    *":$_gh_cache_bin:"*) ;;
    *) PATH="$_gh_cache_bin:$PATH"; export PATH ;;
  esac

  gh_cache_stats() { "$GH_CACHE_PYTHON" "$GH_CACHE_PYZ" stats "$@"; }
  # The daemon needs libp2p, which the self-contained zipapp leaves out: prefer an installed `ghcache`
  # (pip install 'ghcache-autoheal[p2p,ipfs]'), else try the zipapp's interpreter.
  _gh_cache_daemon() {
    if command -v ghcache >/dev/null 2>&1; then
      ghcache daemon "$@"
    else
      "$GH_CACHE_PYTHON" "$GH_CACHE_PYZ" daemon "$@"
    fi
  }
  gh_cache_summary() { "$GH_CACHE_PYTHON" "$GH_CACHE_PYZ" stats --markdown; }

  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
    [ -n "${GITHUB_PATH:-}" ] && echo "$_gh_cache_bin" >> "$GITHUB_PATH"
    if [ -n "${GITHUB_ENV:-}" ]; then
      {
        echo "GH_CACHE_PYTHON=$GH_CACHE_PYTHON"
        echo "GH_CACHE_PYZ=$GH_CACHE_PYZ"
        [ -n "${GH_CACHE_DIR:-}" ] && echo "GH_CACHE_DIR=$GH_CACHE_DIR"
      } >> "$GITHUB_ENV"
    fi
  fi

  _gh_cache_started_daemon=0
  if [ "${GH_CACHE_P2P:-0}" = "1" ] || [ "${GH_CACHE_IPFS:-0}" = "1" ] || [ "${GH_CACHE_DAEMON:-false}" = "true" ]; then
    if _gh_cache_daemon start >&2; then
      _gh_cache_started_daemon=1
    else
      echo "gh-cache.sh: peer daemon did not start; local cache only" >&2
    fi
  fi

  # At the end of this shell (one `run:` step in Actions): the stats table for the job summary, and the
  # daemon we started stopped outside Actions (a job's runner stops leftover processes itself). A shell
  # that already has an EXIT trap keeps it: call gh_cache_summary yourself there (or in a last step).
  _gh_cache_on_exit() {
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
      gh_cache_summary >> "$GITHUB_STEP_SUMMARY" 2>/dev/null || true
    fi
    if [ "$_gh_cache_started_daemon" = "1" ] && [ "${GITHUB_ACTIONS:-}" != "true" ]; then
      _gh_cache_daemon stop >/dev/null 2>&1 || true
    fi
  }
  if [ -z "$(trap -p EXIT)" ]; then
    trap _gh_cache_on_exit EXIT
  fi
fi
