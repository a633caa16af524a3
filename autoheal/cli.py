"""`autoheal` command line, in gh's manner (`ghstyle`): set up the hook, inspect and flush what it collected.

Exit status: 0 done, 1 not done (a report still waits in the spool, a test report was not delivered, triage
failed), 2 a usage error or a bad setting; a closed pipe ends the command quietly.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ghstyle import JSON_FLAGS, App, Command, UserError, json_output, wants_json

from . import __version__
from . import config as config_module
from . import install as install_module
from .capture import capture_exception
from .pipeline import flush as flush_spool
from .pipeline import issue_request, prepare, submit
from .report import Report
from .scrub import Scrubber
from .sinks import Outcome
from .sinks.spool import Spool
from .state import Ledger, write_json
from .token import find_token

FLUSH_SECONDS = 60.0


def enable(args: argparse.Namespace) -> str:
    """Turn reporting on (and choose the repository issues go to)."""
    changes: dict[str, Any] = {"enabled": True}
    if args.github_repo:
        changes["repo"] = args.github_repo
    _update_file(changes)
    return f"autoheal enabled{' for ' + args.github_repo if args.github_repo else ''}"


def disable(args: argparse.Namespace) -> str:
    """Turn reporting off; the hook stays installed but does nothing."""
    _update_file({"enabled": False})
    return "autoheal disabled"


def status(args: argparse.Namespace) -> str:
    """Show the effective settings, where each comes from, and what is waiting in the spool."""
    config = config_module.load()
    _, token_source = find_token()
    ledger = Ledger(config.state_dir)
    settings = config_module.describe(config)
    sources = config_module.sources()
    info = {
        **settings,
        "token_source": token_source,
        "spooled": len(Spool(config.spool_dir).pending()),
        "set_aside": Spool(config.spool_dir).set_aside_reports(),
        "last_deliveries": ledger.deliveries()[-5:],
        "issues_opened_last_hour": ledger.issues_opened_last_hour(),
        "rate_limited_until": ledger.wait_until() or None,
        "hook_in_active_venv": _hook_in_active_venv(),
        "sources": sources,
    }
    if wants_json(args):
        return json_output(info, args)
    width = max(map(len, info))
    lines = [
        f"{key:<{width}}  {json.dumps(value) if not isinstance(value, str) else value}"
        + (f"  ({sources[key]})" if key in sources else "")
        for key, value in info.items()
        if key != "sources"
    ]
    return "\n".join(lines)


def config(args: argparse.Namespace) -> str:
    """Read or change the config file (never a token: those come from the environment)."""
    if args.set_:
        key, raw = args.set_
        value = json.loads(raw) if raw.startswith(("[", "{")) else raw
        checked = config_module.parse_value(key, value)
        _update_file({key: checked})
        return f"{key} = {json.dumps(checked)}"
    described = config_module.describe(config_module.load())
    if args.get:
        if args.get not in described:
            raise UserError(f"unknown setting {args.get!r}")
        return json.dumps(described[args.get])
    return json.dumps(described, indent=2)


def install(args: argparse.Namespace) -> str:
    """Make every interpreter of the venv report its crashes (a .pth start-up hook, or sitecustomize.py)."""
    target = _venv(args.venv)
    mode = install_module.SITECUSTOMIZE_MODE if args.sitecustomize else install_module.PTH_MODE
    try:
        hook = install_module.install(target, mode)
    except install_module.InstallError as e:
        raise UserError(str(e)) from None
    kept = hook.with_name(f"{install_module.CHAINED}.py")
    chained = (
        f"\nthe venv's own sitecustomize runs first, kept as {kept}" if args.sitecustomize and kept.exists() else ""
    )
    return f"autoheal hook installed: {hook}{chained}"


def uninstall(args: argparse.Namespace) -> str:
    """Remove the hook (either mode); the venv is left exactly as it was before install."""
    target = _venv(args.venv)
    try:
        removed = install_module.uninstall(target)
    except install_module.InstallError as e:
        raise UserError(str(e)) from None
    return "autoheal hook removed" if removed else "autoheal hook was not installed"


def flush(args: argparse.Namespace) -> str | tuple[str, int]:
    """Deliver the reports waiting in the spool; exit status 1 while any is left (or was set aside)."""
    config = config_module.load()
    results = flush_spool(config, time.monotonic() + max(config.timeout, FLUSH_SECONDS))
    outcomes = [o for o in results.values() if o.action != "skipped"]
    spool = Spool(config.spool_dir)
    left, aside = len(spool.pending()), spool.set_aside_reports()
    if wants_json(args):
        text = json_output({"outcomes": [asdict(o) for o in outcomes], "left": left, "set_aside": aside}, args)
    else:
        lines = [*map(_describe_outcome, outcomes), f"{left} report(s) left in the spool"]
        if aside:
            lines.append(f"{len(aside)} report(s) set aside: GitHub refused them (`autoheal status` says why)")
        text = "\n".join(lines)
    return text, 1 if left or aside else 0


def test(args: argparse.Namespace) -> str | tuple[str, int]:
    """Send a synthetic error through the whole pipeline to check the setup (exit status 1 if not delivered)."""
    config = config_module.load()
    outcome = submit(_synthetic_report(), config)
    text = json_output(asdict(outcome), args) if wants_json(args) else _describe_outcome(outcome)
    return text, 0 if outcome.delivered or outcome.action == "dry-run" else 1


def preview(args: argparse.Namespace) -> str:
    """Print exactly what is (or was last) sent to GitHub, after scrubbing."""
    config = config_module.load()
    if args.synthetic:
        what, requests = (
            "would be sent for a synthetic error",
            [issue_request(prepare(_synthetic_report(), Scrubber.from_environment()), config)],
        )
    else:
        spool = Spool(config.spool_dir)
        pending = [r for r in map(spool.load, spool.pending()) if r is not None]
        if pending:
            what, requests = (
                "would be sent for the spooled reports (as new issues)",
                [issue_request(r, config) for r in pending],
            )
        else:
            what, requests = "was sent last", Ledger(config.state_dir).last_sent()
    if wants_json(args):
        return json_output({"what": what, "requests": requests}, args)
    return _show_requests(what, requests) if requests else "nothing spooled and nothing sent yet"


def triage(args: argparse.Namespace) -> tuple[str, int]:
    """Turn an auto-heal issue (or, with --sweep, each one not triaged yet) into a verified draft fix PR."""
    from .triage.cli import sweep as run_sweep
    from .triage.cli import triage as run_triage

    if (args.issue is None) == (not args.sweep):
        raise UserError("pass --issue N or --sweep")
    if args.sweep:
        return "", run_sweep(repo=args.repo, workdir=args.workdir)
    return "", run_triage(issue=args.issue, repo=args.repo, workdir=args.workdir)


def init_workflow(args: argparse.Namespace) -> tuple[str, int]:
    """Write the auto-heal triage workflow into the repository at PATH."""
    from .triage.cli import init_workflow as write_workflow

    return "", write_workflow(args.path, args.action)


def serve(args: argparse.Namespace) -> str:
    """Serve the client-error endpoint that the JS snippet posts to."""
    from .endpoint.server import serve as run_server

    run_server(args.host, args.port)
    return ""


VENV_FLAG = (("--venv",), {"metavar": "path", "help": "The venv (default: the active one)"})
APP = App(
    "autoheal",
    "Uncaught errors become scrubbed, fingerprinted GitHub issues; triage turns them into draft fix PRs.",
    __version__,
    [
        Command(
            "enable",
            enable,
            "[flags]",
            [(("--github-repo",), {"metavar": "OWNER/NAME", "help": "The repository issues go to"})],
        ),
        Command("disable", disable),
        Command("status", status, "[flags]", JSON_FLAGS),
        Command(
            "config",
            config,
            "[flags]",
            [
                (("--set",), {"dest": "set_", "nargs": 2, "metavar": ("key", "value"), "help": "Store a setting"}),
                (("--get",), {"metavar": "key", "help": "Print one effective setting"}),
            ],
        ),
        Command(
            "install",
            install,
            "[flags]",
            [
                VENV_FLAG,
                (("--sitecustomize",), {"action": "store_true", "help": "Start from sitecustomize.py (cheaper)"}),
            ],
        ),
        Command("uninstall", uninstall, "[flags]", [VENV_FLAG]),
        Command("flush", flush, "[flags]", JSON_FLAGS),
        Command("test", test, "[flags]", JSON_FLAGS),
        Command(
            "preview",
            preview,
            "[flags]",
            [
                (("--synthetic",), {"action": "store_true", "help": "Preview a synthetic error instead"}),
                *JSON_FLAGS,
            ],
        ),
        Command(
            "triage",
            triage,
            "{--issue N | --sweep} [flags]",
            [
                (("--issue",), {"type": int, "metavar": "number", "help": "The issue to triage"}),
                (("--sweep",), {"action": "store_true", "help": "Every open auto-heal issue not triaged yet"}),
                (("--repo",), {"metavar": "OWNER/NAME", "help": "Default: AUTOHEAL_REPO or GITHUB_REPOSITORY"}),
                (("--workdir",), {"metavar": "path", "help": "A checkout of the repository (default: a fresh clone)"}),
            ],
        ),
        Command(
            "init-workflow",
            init_workflow,
            "<path> --action OWNER/NAME@<sha>",
            [(("--action",), {"required": True, "metavar": "OWNER/NAME@<sha>", "help": "This action, pinned"})],
            positionals=[(("path",), {})],
        ),
        Command(
            "serve",
            serve,
            "[flags]",
            [
                (("--host",), {"default": "127.0.0.1", "help": "Address to listen on (default 127.0.0.1)"}),
                (("--port",), {"type": int, "default": 8004, "help": "Port (default 8004)"}),
            ],
        ),
    ],
    examples=["autoheal install", "autoheal status --jq .repo", "autoheal preview --synthetic"],
    user_errors=(config_module.ConfigError,),
    error_label="error: ",
)


def main(argv: list[str] | None = None) -> int:
    return APP.main(argv)


def _update_file(changes: dict[str, Any]) -> None:
    """Merge `changes` into the config file after checking the merged result."""
    path = config_module.load().config_file
    data = {**config_module.read_file(path), **{k: config_module.parse_value(k, v) for k, v in changes.items()}}
    write_json(path, data)


def _venv(venv: str | None) -> Path:
    try:
        return install_module.find_venv(venv)
    except install_module.InstallError as e:
        raise UserError(str(e)) from None


def _hook_in_active_venv() -> str | bool | None:
    """How the hook starts in the active venv: "pth" or "sitecustomize".

    False if it is not installed, None outside a venv.
    """
    try:
        return install_module.installed_mode(install_module.find_venv(None)) or False
    except install_module.InstallError:
        return None


def _synthetic_report() -> Report:
    try:
        raise RuntimeError("autoheal test: this synthetic error checks the reporting setup")
    except RuntimeError as e:
        config = config_module.load()
        return capture_exception(
            e, "cli-error", {"synthetic": True}, max_log_lines=config.max_log_lines, env_allowlist=config.env_allowlist
        )


def _describe_outcome(outcome: Outcome) -> str:
    where = f" #{outcome.issue}" if outcome.issue else ""
    url = f" {outcome.url}" if outcome.url else ""
    why = f" ({outcome.reason})" if outcome.reason else ""
    return f"{outcome.action}{where}{url}{why}"


def _show_requests(what: str, requests: list[dict[str, Any]]) -> str:
    """Each request as sent: the Markdown body verbatim, the other fields as JSON."""
    parts = [f"# {len(requests)} request(s) {what}"]
    for request in requests:
        payload = dict(request["json"])
        body = payload.pop("body", None)
        parts += [f"\n## {request['method']} {request['path']}", json.dumps(payload, indent=2, ensure_ascii=False)]
        if body is not None:
            parts += ["--- body ---", body]
    return "\n".join(parts)
