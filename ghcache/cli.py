"""`ghcache` commands for people: stats, explain, prune, clear."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import argh

from . import config, invalidation, keys, policy, runner, stats
from .entry import Entry
from .tiers.local import LocalStore


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def _settings() -> config.Settings:
    try:
        return config.load()
    except config.BadValue as error:
        raise UserError(str(error)) from None


def _human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


def _per_tier(summary: stats.Summary, event: str) -> dict[str, int]:
    """Counts of one event for every tier that logged it, e.g. "evict" -> {"local": 3, "daemon": 1}."""
    return {name.split()[1]: counter.count for name, counter in summary.counters.items() if name.split()[0] == event}


def stats_report(settings: config.Settings) -> dict:
    """The numbers behind `ghcache stats`, also used by the Actions step summary."""
    summary = stats.load(settings.cache_dir)
    store = LocalStore(settings.cache_dir)
    files = [item for item in store.files() if item.key]
    tiers = sorted({name.split()[1] for name in summary.counters if name.split()[0] == "hit"} | {"local"})
    hits = sum(summary.get(f"hit {tier}").count for tier in tiers)
    runs = summary.get("run upstream").count
    return {
        "cache_dir": settings.cache_dir,
        "entries": len(files),
        "bytes": sum(item.size for item in files),
        "max_bytes": settings.max_size,
        "hits": {tier: summary.get(f"hit {tier}").count for tier in tiers},
        "hit_latency_ms": {
            tier: round(summary.get(f"hit {tier}").total_ms / max(summary.get(f"hit {tier}").count, 1), 2)
            for tier in tiers
        },
        "misses": summary.get("miss local").count,
        "upstream_runs": runs,
        "upstream_calls_saved": hits,
        "hit_rate": round(hits / (hits + runs), 4) if hits + runs else 0.0,
        "bytes_served": sum(summary.get(f"hit {tier}").nbytes for tier in tiers),
        "stale_served": summary.get("stale local").count,
        "rejected": _per_tier(summary, "reject"),
        # the daemon's tiers (peer, ipfs) miss, and refuse entries that expired elsewhere
        "tier_misses": {tier: count for tier, count in _per_tier(summary, "miss").items() if tier != "local"},
        "expired": _per_tier(summary, "expired"),
        "evictions": _per_tier(summary, "evict"),
        "errors": summary.get("error local").count,
        "writes": summary.get("write upstream").count,
    }


def _markdown(report: dict) -> str:
    """The table `gh-cache.sh` appends to $GITHUB_STEP_SUMMARY."""
    hits = sum(report["hits"].values())
    rows = [
        ("gh calls answered from cache", f"{hits}"),
        ("gh calls that went to GitHub", f"{report['upstream_runs']}"),
        ("hit rate", f"{report['hit_rate'] * 100:.1f}%"),
        ("stale results served", f"{report['stale_served']}"),
        ("entries / size", f"{report['entries']} / {_human_bytes(report['bytes'])}"),
    ]
    rows += [
        (f"hits from {tier}", f"{count} (mean {report['hit_latency_ms'][tier]} ms)")
        for tier, count in report["hits"].items()
    ]
    rows += [(f"rejected from {tier}", str(count)) for tier, count in report["rejected"].items()]
    return "\n".join(["### ghcache", "", "| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows), ""])


@argh.arg("--json", dest="as_json", help="machine-readable output")
@argh.arg("--markdown", help="a Markdown table (for $GITHUB_STEP_SUMMARY)")
def stats_command(as_json: bool = False, markdown: bool = False) -> str:
    """Hits and misses per tier, hit rate, bytes, upstream calls saved."""
    report = stats_report(_settings())
    if as_json:
        return json.dumps(report, indent=2)
    if markdown:
        return _markdown(report)
    lines = [
        f"cache dir        {report['cache_dir']}",
        f"entries          {report['entries']} "
        f"({_human_bytes(report['bytes'])} of {_human_bytes(report['max_bytes'])})",
    ]
    for tier, count in report["hits"].items():
        lines.append(f"{f'hits ({tier})':<17}{count}  (mean {report['hit_latency_ms'][tier]} ms in the shim)")
    lines += [
        f"misses           {report['misses']}",
        f"upstream runs    {report['upstream_runs']}",
        f"hit rate         {report['hit_rate'] * 100:.1f}%",
        f"calls saved      {report['upstream_calls_saved']}",
        f"bytes served     {_human_bytes(report['bytes_served'])}",
        f"stale served     {report['stale_served']}",
        f"evictions        {sum(report['evictions'].values())}"
        + "".join(f"  ({tier}: {count})" for tier, count in report["evictions"].items()),
        f"writes seen      {report['writes']}",
    ]
    lines += [f"rejected ({tier})  {count}" for tier, count in report["rejected"].items()]
    lines += [f"misses ({tier})    {count}" for tier, count in report["tier_misses"].items()]
    lines += [f"expired ({tier})   {count}" for tier, count in report["expired"].items()]
    return "\n".join(lines)


def explain(*gh_args: str) -> str:
    """How `gh <args>` would be handled here: class, TTL, key inputs, cached or not and why."""
    settings = _settings()
    args = list(gh_args)
    decision = policy.decide(args, stdin_tty=sys.stdin.isatty(), stdout_tty=sys.stdout.isatty())
    lines = [f"command      gh {' '.join(args)}", f"decision     {decision.action}: {decision.reason}"]
    if decision.action == "write":
        lines.append(f"invalidates  {', '.join(decision.invalidates)} reads of the same repo")
    if decision.action != "read":
        return "\n".join(lines)
    real_gh = runner.find_real_gh(os.environ)
    if real_gh is None:
        raise UserError("no real gh found on PATH (set GH_CACHE_REAL_GH)")
    terminal = keys.Terminal(sys.stdout.isatty(), sys.stderr.isatty(), None)
    inputs = keys.build(decision, args, os.environ, os.getcwd(), terminal, real_gh)
    key = inputs.key()
    ttl = settings.ttl(decision.data_class or "api")
    lines += [
        f"data class   {decision.data_class} (TTL {ttl:g}s; GH_CACHE_TTL_{(decision.data_class or 'api').upper()})",
        f"key          {key}",
        f"  host       {inputs.host}",
        f"  identity   {inputs.identity[:16]}… (fingerprint of the token/accounts, never the token)",
        f"  repo       {inputs.repo or '(none)'}" + (f" @ {inputs.branch}" if inputs.branch else ""),
        f"  argv       {json.dumps(list(inputs.argv))}",
        f"  env        {', '.join(name for name, _ in inputs.env) or '(none set)'}",
        f"  terminal   stdout tty={inputs.terminal.stdout_tty} stderr tty={inputs.terminal.stderr_tty}",
        f"  gh         {real_gh}",
    ]
    lines.append(f"cached       {_cache_state(settings, LocalStore(settings.cache_dir).get(key), inputs, decision)}")
    return "\n".join(lines)


def _cache_state(
    settings: config.Settings, entry: Entry | None, inputs: keys.KeyInputs, decision: policy.Decision
) -> str:
    now = settings.now()
    if entry is None:
        return "no: not in the local cache"
    last_write = invalidation.last_write(settings.cache_dir, inputs.host, inputs.repo, decision.data_class or "api")
    if entry.created < last_write:
        return f"no: a write {now - last_write:.0f}s ago made it stale"
    if not entry.fresh(now):
        return f"no: expired {now - entry.expires:.0f}s ago (can still be served stale while gh fails)"
    return f"yes: fetched {now - entry.created:.0f}s ago, fresh for {entry.expires - now:.0f}s more"


def prune() -> str:
    """Delete expired entries past the stale window, leftovers of killed writers, and fold the stats log."""
    settings = _settings()
    store = LocalStore(settings.cache_dir)
    now = settings.now()
    removed = store.remove_temp_files(older_than=time.time() - 3600)
    for item in list(store.files()):
        if not item.key:
            continue
        entry = store.get(item.key)
        if entry is None or not entry.servable_stale(now, settings.max_stale):
            store.delete(item.key)
            removed += 1
    store.evict_to(settings.max_size)
    if os.path.isdir(settings.cache_dir):
        stats.compact(settings.cache_dir)
    return f"pruned {removed} files"


def clear() -> str:
    """Delete every cached entry, tombstone and counter."""
    settings = _settings()
    for name in ("entries", "invalidations", "locks"):
        shutil.rmtree(os.path.join(settings.cache_dir, name), ignore_errors=True)
    stats.reset(settings.cache_dir)
    return f"cleared {settings.cache_dir}"


# -- ghcache daemon: the peer and IPFS tiers --------------------------------------------------------
@argh.arg("action", choices=["start", "stop", "status"])
@argh.arg("--foreground", help="run in this process until stopped (systemd, Actions services)")
def daemon(action: str, foreground: bool = False) -> str:
    """The daemon the shim asks on a local miss: start (idempotent; returns once it answers), stop, status."""
    from .daemon import control

    settings = _settings()
    try:
        if action == "start" and foreground:
            control.foreground(settings.cache_dir, os.environ)
            return "daemon stopped"
        if action == "start":
            return _daemon_summary(control.start(settings.cache_dir, os.environ))
        if action == "stop":
            return "daemon stopped" if control.stop(settings.cache_dir, os.environ) else "daemon not running"
        running = control.status(control.client.socket_path(settings.cache_dir, os.environ))
    except control.DaemonError as error:
        raise UserError(str(error)) from None
    if running is None:
        raise UserError("daemon not running")
    return _daemon_summary(running)


def _daemon_summary(status: dict) -> str:
    lines = [f"daemon running (pid {status.get('pid')}, namespace {status.get('namespace')})"]
    if status.get("peer_id"):
        lines.append(f"peer id   {status['peer_id']}")
        lines += [f"address   {address}" for address in status.get("addresses", [])]
        lines.append(f"peers     {len(status.get('peers', []))} connected")
    lines.append(f"ipfs      {'on' if status.get('ipfs') else 'off'}")
    lines.append(f"shared    {status.get('shared_entries', 0)} entries, {status.get('hints', 0)} hints heard")
    return "\n".join(lines)


# -- end ghcache daemon ---------------------------------------------------------------------------------------


LAUNCHER = """#!{python} -IS
# ghcache-shim: generated by `ghcache install-shim`; answers gh's read commands from a cache.
# The interpreter runs directly (no shell in between), isolated and without the site scan, and imports
# the shim from compiled files extracted next to this launcher (cheaper than reading them from a zip).
import sys
sys.path.insert(0, {lib!r})
from ghcache.shim import main
sys.exit(main())
"""
# What the shim imports: our package, and platformdirs where the cache dir is not computed in-line.
SHIM_PACKAGES = ("ghcache/", "platformdirs/")


def _archive() -> str:
    archive = os.path.realpath(sys.path[0] if sys.path[0].endswith(".pyz") else os.environ.get("GH_CACHE_PYZ", ""))
    if not archive.endswith(".pyz") or not os.path.isfile(archive):
        raise UserError("install-shim must run from ghcache.pyz (or with GH_CACHE_PYZ set)")
    return archive


def _extract_shim_packages(archive: str, directory: str) -> str:
    """Unpack the shim's packages once per archive version and compile them with this interpreter."""
    import compileall
    import hashlib
    import py_compile
    import zipfile

    with open(archive, "rb") as handle:
        version = hashlib.sha256(handle.read()).hexdigest()[:16]
    lib = os.path.join(directory, f"lib-{version}")
    if not os.path.isdir(lib):
        staging = f"{lib}.{os.getpid()}.tmp"
        with zipfile.ZipFile(archive) as bundle:
            members = [name for name in bundle.namelist() if name.startswith(SHIM_PACKAGES) and name.endswith(".py")]
            bundle.extractall(staging, members)
        compileall.compile_dir(staging, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        os.replace(staging, lib)
    for name in os.listdir(directory):  # versions no launcher points to any more
        if name.startswith("lib-") and os.path.join(directory, name) != lib:
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
    return lib


@argh.arg("directory", help="where to write the `gh` launcher; put it first on PATH")
@argh.arg("--python", help="the interpreter (default: this one, resolved past any version-manager shim)")
def install_shim(directory: str, python: str | None = None) -> str:
    """Write a `gh` launcher that starts the shim with no shell in between (the fast path)."""
    interpreter = os.path.realpath(python or sys.executable)
    if " " in interpreter or len(interpreter) > 120:
        raise UserError(f"{interpreter} cannot go on a #! line; put shims/ on PATH instead")
    os.makedirs(directory, exist_ok=True)
    lib = _extract_shim_packages(_archive(), os.path.abspath(directory))
    target = os.path.join(directory, "gh")
    tmp = f"{target}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(LAUNCHER.format(python=interpreter, lib=lib))
    os.chmod(tmp, 0o755)
    os.replace(tmp, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argh.ArghParser(prog="ghcache", description="A cache in front of the gh CLI.")
    parser.add_commands([argh.named("stats")(stats_command), explain, prune, clear, install_shim, daemon])
    try:
        parser.dispatch(argv)
    except UserError as error:
        print(f"ghcache: {error}", file=sys.stderr)
        return 2
    return 0
