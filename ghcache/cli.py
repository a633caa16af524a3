"""`ghcache` commands for people, in gh's manner (`ghstyle`): `help`, `--version`, `--json`/`--jq`.

Exit status: 0 done, 1 the operation failed (say, the daemon is not running), 2 a usage error or a bad
setting; a closed pipe ends the command quietly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ghstyle import JSON_FLAGS, App, Command, Failed, UserError, json_output, wants_json

from . import __version__, config, invalidation, keys, policy, runner, shimlib, stats
from .entry import Entry
from .tiers.local import LocalStore

PROG = "ghcache"
ABOUT = "A cache in front of the gh CLI: read commands answered from disk, peers or IPFS; writes pass through."


def _settings() -> config.Settings:
    try:
        return config.load()
    except config.BadValue as error:
        raise UserError(str(error)) from None


def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


_DURATION_UNITS = (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def human_duration(seconds: float) -> str:
    """The largest two units, as the settings are written: 31536000 -> "1y", 5400 -> "1h30m", 0.4 -> "0s"."""
    left = max(int(round(seconds)), 0)
    parts: list[str] = []
    for unit, size in _DURATION_UNITS:
        if left >= size and len(parts) < 2:
            parts.append(f"{left // size}{unit}")
            left %= size
        elif parts:
            break
    return "".join(parts) or "0s"


# -- stats --------------------------------------------------------------------------------------------
def _per_tier(summary: stats.Summary, event: str) -> dict[str, int]:
    """Counts of one event for every tier that logged it, e.g. "evict" -> {"local": 3, "daemon": 1}."""
    return {name.split()[1]: counter.count for name, counter in summary.counters.items() if name.split()[0] == event}


def _since(summary: stats.Summary, baseline: dict[str, Any]) -> stats.Summary:
    """The events counted after `baseline` (the `counters` of an earlier `stats --json`).

    A counter below its baseline was reset (`ghcache clear`) in between: all of it is new.
    """
    delta = stats.Summary()
    for name, counter in summary.counters.items():
        before = baseline.get(name)
        try:
            count, nbytes, total_ms = (
                (int(before["count"]), int(before["nbytes"]), float(before["total_ms"]))
                if isinstance(before, dict)
                else (0, 0, 0.0)
            )
        except (KeyError, TypeError, ValueError):
            count, nbytes, total_ms = 0, 0, 0.0
        if counter.count >= count:
            delta.add(name, counter.count - count, max(counter.nbytes - nbytes, 0), max(counter.total_ms - total_ms, 0))
        else:
            delta.add(name, counter.count, counter.nbytes, counter.total_ms)
    return delta


def read_baseline(path: str) -> dict[str, Any]:
    """The counters of a saved `ghcache stats --json`; a missing or unreadable file counts from zero."""
    try:
        with open(path, encoding="utf-8") as handle:
            counters = json.load(handle).get("counters")
    except (OSError, ValueError, AttributeError):
        return {}
    return counters if isinstance(counters, dict) else {}


def stats_report(settings: config.Settings, baseline: dict[str, Any] | None = None) -> dict[str, Any]:
    """The numbers behind `ghcache stats` (only those counted since `baseline`, if given)."""
    summary = stats.load(settings.cache_dir)
    if baseline is not None:
        summary = _since(summary, baseline)
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
        "counters": summary.to_json(),  # raw, for `stats --since` later
    }


def _rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    hits = sum(report["hits"].values())
    rows = [
        ("gh calls answered from cache", f"{hits}"),
        ("gh calls that went to GitHub", f"{report['upstream_runs']}"),
        ("upstream calls saved", f"{report['upstream_calls_saved']}"),
        ("hit rate", f"{report['hit_rate'] * 100:.1f}%"),
        ("stale results served", f"{report['stale_served']}"),
    ]
    rows += [
        (f"hits from {tier}", f"{count} (mean {report['hit_latency_ms'][tier]} ms)")
        for tier, count in report["hits"].items()
    ]
    rows += [(f"rejected from {tier}", str(count)) for tier, count in report["rejected"].items()]
    return rows


def _table(rows: list[tuple[str, str]]) -> list[str]:
    return ["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]


def markdown(report: dict[str, Any], lifetime: dict[str, Any] | None = None) -> str:
    """The job summary: this job's figures (`report`), then the cache's lifetime totals if given."""
    lines = ["### ghcache", "", *_table(_rows(report))]
    if lifetime is None:
        lines += [f"| entries / size | {report['entries']} / {human_bytes(report['bytes'])} |"]
    else:
        lines += [
            "",
            f"<details><summary>Lifetime of this cache ({lifetime['entries']} entries, "
            f"{human_bytes(lifetime['bytes'])})</summary>",
            "",
            *_table(_rows(lifetime)),
            "",
            "</details>",
        ]
    return "\n".join([*lines, ""])


def stats_text(report: dict[str, Any]) -> str:
    """`ghcache stats` for a terminal."""
    lines = [
        f"cache dir        {report['cache_dir']}",
        f"entries          {report['entries']} ({human_bytes(report['bytes'])} of {human_bytes(report['max_bytes'])})",
    ]
    for tier, count in report["hits"].items():
        lines.append(f"{f'hits ({tier})':<17}{count}  (mean {report['hit_latency_ms'][tier]} ms in the shim)")
    lines += [
        f"misses           {report['misses']}",
        f"upstream runs    {report['upstream_runs']}",
        f"hit rate         {report['hit_rate'] * 100:.1f}%",
        f"calls saved      {report['upstream_calls_saved']}",
        f"bytes served     {human_bytes(report['bytes_served'])}",
        f"stale served     {report['stale_served']}",
        f"evictions        {sum(report['evictions'].values())}"
        + "".join(f"  ({tier}: {count})" for tier, count in report["evictions"].items()),
        f"writes seen      {report['writes']}",
    ]
    lines += [f"rejected ({tier})  {count}" for tier, count in report["rejected"].items()]
    lines += [f"misses ({tier})    {count}" for tier, count in report["tier_misses"].items()]
    lines += [f"expired ({tier})   {count}" for tier, count in report["expired"].items()]
    return "\n".join(lines)


def stats_command(args: argparse.Namespace) -> str:
    """Hits and misses per tier, hit rate, bytes, upstream calls saved."""
    settings = _settings()
    if args.since is None:
        report = stats_report(settings)
        return (
            json_output(report, args) if wants_json(args) else markdown(report) if args.markdown else stats_text(report)
        )
    report = stats_report(settings, read_baseline(args.since))
    if wants_json(args):
        return json_output(report, args)
    return markdown(report, stats_report(settings)) if args.markdown else stats_text(report)


# -- explain ------------------------------------------------------------------------------------------
def explain_report(gh_args: Sequence[str], env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """How `gh <args>` would be handled here: class, TTL, key inputs, cached or not and why."""
    settings = _settings()
    args = list(gh_args)
    decision = policy.decide(args, stdin_tty=sys.stdin.isatty(), stdout_tty=sys.stdout.isatty())
    report: dict[str, Any] = {
        "command": ["gh", *args],
        "decision": decision.action,
        "reason": decision.reason,
        "invalidates": list(decision.invalidates),
    }
    if decision.action != "read":
        return report
    real_gh = runner.find_real_gh(env)
    if real_gh is None:
        raise Failed("no real gh found on PATH (set GH_CACHE_REAL_GH)")
    terminal = keys.Terminal(sys.stdout.isatty(), sys.stderr.isatty(), None)
    inputs = keys.build(decision, args, env, os.getcwd(), terminal, real_gh)
    key = inputs.key()
    data_class = decision.data_class or "api"
    report.update(
        {
            "data_class": data_class,
            "ttl_seconds": settings.ttl(data_class),
            "ttl_variable": f"GH_CACHE_TTL_{data_class.upper()}",
            "key": key,
            "inputs": {
                "host": inputs.host,
                "identity": inputs.identity[:16],
                "repo": inputs.repo or None,
                "branch": inputs.branch or None,
                "argv": list(inputs.argv),
                "env": [name for name, _ in inputs.env],
                "stdout_tty": inputs.terminal.stdout_tty,
                "stderr_tty": inputs.terminal.stderr_tty,
                "gh": real_gh,
            },
            "cached": _cache_state(settings, LocalStore(settings.cache_dir).get(key), inputs, data_class),
        }
    )
    return report


def _cache_state(
    settings: config.Settings, entry: Entry | None, inputs: keys.KeyInputs, data_class: str
) -> dict[str, Any]:
    now = settings.now()
    if entry is None:
        return {"state": "absent", "why": "not in the local cache"}
    age = now - entry.created
    last_write = invalidation.last_write(settings.cache_dir, inputs.host, inputs.repo, data_class)
    if entry.created < last_write:
        return {
            "state": "stale",
            "age_seconds": age,
            "why": f"a write {human_duration(now - last_write)} ago made it stale",
        }
    if not entry.fresh(now):
        why = f"expired {human_duration(now - entry.expires)} ago (can still be served stale while gh fails)"
        return {"state": "expired", "age_seconds": age, "why": why}
    why = f"fetched {human_duration(age)} ago, fresh for {human_duration(entry.expires - now)} more"
    return {"state": "fresh", "age_seconds": age, "expires_in_seconds": entry.expires - now, "why": why}


def explain_text(report: dict[str, Any]) -> str:
    lines = [f"command      {' '.join(report['command'])}", f"decision     {report['decision']}: {report['reason']}"]
    if report["decision"] == "write":
        lines.append(f"invalidates  {', '.join(report['invalidates'])} reads of the same repo")
    if report["decision"] != "read":
        return "\n".join(lines)
    inputs = report["inputs"]
    cached = report["cached"]
    lines += [
        f"data class   {report['data_class']} (TTL {human_duration(report['ttl_seconds'])}; {report['ttl_variable']})",
        f"key          {report['key']}",
        f"  host       {inputs['host']}",
        f"  identity   {inputs['identity']}… (fingerprint of the token/accounts, never the token)",
        f"  repo       {inputs['repo'] or '(none)'}" + (f" @ {inputs['branch']}" if inputs["branch"] else ""),
        f"  argv       {json.dumps(inputs['argv'])}",
        f"  env        {', '.join(inputs['env']) or '(none set)'}",
        f"  terminal   stdout tty={inputs['stdout_tty']} stderr tty={inputs['stderr_tty']}",
        f"  gh         {inputs['gh']}",
        f"cached       {'yes' if cached['state'] == 'fresh' else 'no'}: {cached['why']}",
    ]
    return "\n".join(lines)


def explain(args: argparse.Namespace) -> str:
    """How `ghcache` would handle `gh ARGS`: decision, data class, TTL, every key input, cached or not."""
    report = explain_report(args.gh_args)
    return json_output(report, args) if wants_json(args) else explain_text(report)


# -- maintenance ----------------------------------------------------------------------------------------
def prune(args: argparse.Namespace) -> str:
    """Delete expired entries past the stale window, leftovers of killed writers; fold the stats log."""
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


def clear(args: argparse.Namespace) -> str:
    """Delete every cached entry, tombstone and counter."""
    settings = _settings()
    for name in ("entries", "invalidations", "locks"):
        shutil.rmtree(os.path.join(settings.cache_dir, name), ignore_errors=True)
    stats.reset(settings.cache_dir)
    return f"cleared {settings.cache_dir}"


# -- ghcache daemon: the peer and IPFS tiers --------------------------------------------------------
def daemon(args: argparse.Namespace) -> str:
    """The daemon the shim asks on a local miss: start (idempotent; returns once it answers), stop, status."""
    from .daemon import client, control

    settings = _settings()
    try:
        if args.action == "start" and args.foreground:
            control.foreground(settings.cache_dir, os.environ)
            return "daemon stopped"
        if args.action == "start":
            return _daemon_summary(control.start(settings.cache_dir, os.environ))
        if args.action == "stop":
            return "daemon stopped" if control.stop(settings.cache_dir, os.environ) else "daemon not running"
        running = control.status(client.socket_path(settings.cache_dir, os.environ))
    except control.DaemonError as error:
        raise Failed(str(error)) from None
    if running is None:
        raise Failed("daemon not running")
    return _daemon_summary(running)


def _daemon_summary(status: dict[str, Any]) -> str:
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


def _archive() -> str:
    archive = os.path.realpath(sys.path[0] if sys.path[0].endswith(".pyz") else os.environ.get("GH_CACHE_PYZ", ""))
    if not archive.endswith(".pyz") or not os.path.isfile(archive):
        raise UserError("install-shim must run from ghcache.pyz (or with GH_CACHE_PYZ set)")
    return archive


def _extract_shim_packages(archive: str, directory: str) -> str:
    """Unpack the shim's packages once per archive version (`lib-<digest>`), dropping older versions."""
    import hashlib

    with open(archive, "rb") as handle:
        version = hashlib.sha256(handle.read()).hexdigest()[:16]
    lib = os.path.join(directory, f"lib-{version}")
    if not os.path.isdir(lib):
        shimlib.unpack(archive, lib)
    for name in os.listdir(directory):  # versions no launcher points to any more
        if name.startswith("lib-") and os.path.join(directory, name) != lib:
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
    return lib


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


def install_shim_command(args: argparse.Namespace) -> str:
    """Write a `gh` launcher that starts the shim with no shell in between (the fast path)."""
    return install_shim(args.directory, args.python)


def _parse_explain(argv: list[str]) -> argparse.Namespace:
    """explain's own flags come first; the first other word (or what follows `--`) starts gh's arguments,
    so `ghcache explain pr list --json number` explains gh's `--json`, with no `--` needed."""
    own: list[str] = []
    rest = list(argv)
    while rest and (rest[0] in ("--json", "-q", "--jq") or rest[0].startswith("--jq=")):
        own.append(rest.pop(0))
        if own[-1] in ("-q", "--jq") and rest:
            own.append(rest.pop(0))
    if rest[:1] == ["--"]:
        rest.pop(0)
    if not rest:
        raise UserError("explain needs gh's arguments, e.g. `ghcache explain pr list` (see `ghcache explain --help`)")
    namespace = APP.parse(APP.commands["explain"], own)
    namespace.gh_args = rest
    return namespace


APP = App(
    PROG,
    ABOUT,
    __version__,
    [
        Command(
            "stats",
            stats_command,
            "[flags]",
            [
                *JSON_FLAGS,
                (("--markdown",), {"action": "store_true", "help": "A Markdown table (for $GITHUB_STEP_SUMMARY)"}),
                (("--since",), {"metavar": "file", "help": "Count only what came after FILE, a saved `stats --json`"}),
            ],
        ),
        Command("explain", explain, "[flags] [--] <gh arguments>", JSON_FLAGS, parse=_parse_explain),
        Command("prune", prune),
        Command("clear", clear),
        Command(
            "install-shim",
            install_shim_command,
            "<directory> [flags]",
            [
                (
                    ("--python",),
                    {"metavar": "path", "help": "The interpreter (default: this one, past any version manager)"},
                )
            ],
            positionals=[(("directory",), {})],
        ),
        Command(
            "daemon",
            daemon,
            "{start|stop|status} [flags]",
            [(("--foreground",), {"action": "store_true", "help": "Run in this process until stopped (start only)"})],
            positionals=[(("action",), {"choices": ["start", "stop", "status"]})],
        ),
    ],
    examples=["ghcache stats", "ghcache explain pr list -R cli/cli", "ghcache stats --jq .upstream_calls_saved"],
)


def main(argv: list[str] | None = None) -> int:
    return APP.main(argv)
