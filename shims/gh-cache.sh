# shellcheck shell=bash
# Source this file (bash or zsh) to answer gh's read commands from a cache:
#     source path/to/shims/gh-cache.sh
# It puts a gh launcher (bin/shim/gh, or shims/gh where that cannot be written) first on PATH (and on
# $GITHUB_PATH inside GitHub Actions), exports the settings the shim needs to the rest of the job, starts the
# peer daemon when GH_CACHE_P2P=1 or GH_CACHE_IPFS=1, and defines `gh_cache_stats` and `gh_cache_summary`
# (a Markdown stats table for $GITHUB_STEP_SUMMARY). A plain POSIX sh (dash) cannot tell a sourced file
# where it lives, so there it refuses in one line: put shims/ first on PATH instead (shims/gh is plain sh).

# Where this file is; each shell's own way, inside eval so that dash can parse the file to refuse politely.
_gh_cache_src=
if [ -n "${BASH_VERSION:-}" ]; then
  eval '_gh_cache_src=${BASH_SOURCE[0]}'
elif [ -n "${ZSH_VERSION:-}" ]; then
  eval '_gh_cache_src=${(%):-%x}'
else
  echo "gh-cache.sh: this shell cannot tell a sourced file where it is; source it from bash or zsh, or put its shims/ directory first on PATH (shims/gh is plain sh)" >&2
  # shellcheck disable=SC2317  # `exit` only when the file was run rather than sourced
  return 1 2>/dev/null || exit 1
fi
_gh_cache_here=$(cd "$(dirname "$_gh_cache_src")" && pwd)
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
  # The summary counts what happened since this file was sourced (one `run:` step), lifetime totals below.
  _gh_cache_baseline=
  gh_cache_summary() {
    if [ -n "$_gh_cache_baseline" ]; then
      "$GH_CACHE_PYTHON" "$GH_CACHE_PYZ" stats --markdown --since "$_gh_cache_baseline"
    else
      "$GH_CACHE_PYTHON" "$GH_CACHE_PYZ" stats --markdown
    fi
  }

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

  # At the end of this shell (one `run:` step in Actions): the stats table for the job summary (unless
  # GH_CACHE_STEP_SUMMARY=0: the action writes one in its post step, after the whole job), and the daemon
  # we started stopped outside Actions (a job's runner stops leftover processes itself). A shell that
  # already has an EXIT trap keeps it: call gh_cache_summary yourself there (or in a last step).
  _gh_cache_write_summary=0
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ "${GH_CACHE_STEP_SUMMARY:-1}" != "0" ]; then
    _gh_cache_write_summary=1
    _gh_cache_baseline=$(mktemp "${TMPDIR:-/tmp}/gh-cache-baseline.XXXXXX") \
      && "$GH_CACHE_PYTHON" "$GH_CACHE_PYZ" stats --json >"$_gh_cache_baseline" 2>/dev/null \
      || _gh_cache_baseline=
  fi
  _gh_cache_on_exit() {
    if [ "$_gh_cache_write_summary" = "1" ]; then
      gh_cache_summary >> "$GITHUB_STEP_SUMMARY" 2>/dev/null || true
      [ -n "$_gh_cache_baseline" ] && rm -f "$_gh_cache_baseline"
    fi
    if [ "$_gh_cache_started_daemon" = "1" ] && [ "${GITHUB_ACTIONS:-}" != "true" ]; then
      _gh_cache_daemon stop >/dev/null 2>&1 || true
    fi
  }
  # The traps are listed into a file, not through $(...): zsh clears them in a subshell. (zsh's own exit
  # hook, zshexit_functions, does not run when zsh execs the script's last command in place.)
  if _gh_cache_traps=$(mktemp "${TMPDIR:-/tmp}/gh-cache-traps.XXXXXX"); then
    trap >"$_gh_cache_traps"
    grep -q ' EXIT$' "$_gh_cache_traps" || trap _gh_cache_on_exit EXIT
    rm -f "$_gh_cache_traps"
  fi
fi
