"""`autoheal` command line: set up the hook, inspect and flush what it collected."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import argh

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


class UserError(Exception):
    """Shown as one `autoheal: error: ...` line, exit status 2."""


def enable(github_repo: str | None = None) -> str:
    """Turn reporting on (and choose the repository issues go to)."""
    changes: dict[str, Any] = {"enabled": True}
    if github_repo:
        changes["repo"] = github_repo
    _update_file(changes)
    return f"autoheal enabled{' for ' + github_repo if github_repo else ''}"


def disable() -> str:
    """Turn reporting off; the hook stays installed but does nothing."""
    _update_file({"enabled": False})
    return "autoheal disabled"


@argh.arg("--json", dest="as_json", help="machine-readable output")
def status(as_json: bool = False) -> str:
    """Show the effective settings, where they come from, and what is waiting in the spool."""
    config = config_module.load()
    _, token_source = find_token()
    ledger = Ledger(config.state_dir)
    info = {
        **config_module.describe(config),
        "token_source": token_source,
        "spooled": len(Spool(config.spool_dir).pending()),
        "issues_opened_last_hour": ledger.issues_opened_last_hour(),
        "rate_limited_until": ledger.wait_until() or None,
        "hook_in_active_venv": _hook_in_active_venv(),
    }
    if as_json:
        return json.dumps(info, indent=2)
    return "\n".join(f"{key}: {value}" for key, value in info.items())


@argh.arg("--set", dest="set_", nargs=2, metavar=("KEY", "VALUE"), help="store a setting in the config file")
@argh.arg("--get", metavar="KEY", help="print one effective setting")
def config(set_: list[str] | None = None, get: str | None = None) -> str:
    """Read or change the config file (never a token: those come from the environment)."""
    if set_:
        key, raw = set_
        value = json.loads(raw) if raw.startswith(("[", "{")) else raw
        checked = config_module.parse_value(key, value)
        _update_file({key: checked})
        return f"{key} = {json.dumps(checked)}"
    if get:
        described = config_module.describe(config_module.load())
        if get not in described:
            raise UserError(f"unknown setting {get!r}")
        return json.dumps(described[get])
    return json.dumps(config_module.describe(config_module.load()), indent=2)


@argh.arg("--venv", help="venv to install into (default: the active one)")
@argh.arg(
    "--sitecustomize",
    help="start the hook from the venv's sitecustomize.py, chained to its own one, "
    "instead of a .pth file: cheaper start-up",
)
def install(venv: str | None = None, sitecustomize: bool = False) -> str:
    """Make every interpreter of the venv report its crashes (a .pth start-up hook, or sitecustomize.py)."""
    target = _venv(venv)
    mode = install_module.SITECUSTOMIZE_MODE if sitecustomize else install_module.PTH_MODE
    try:
        hook = install_module.install(target, mode)
    except install_module.InstallError as e:
        raise UserError(str(e)) from None
    kept = hook.with_name(f"{install_module.CHAINED}.py")
    chained = f"\nthe venv's own sitecustomize runs first, kept as {kept}" if sitecustomize and kept.exists() else ""
    return f"autoheal hook installed: {hook}{chained}"


@argh.arg("--venv", help="venv to remove the hook from (default: the active one)")
def uninstall(venv: str | None = None) -> str:
    """Remove the hook (either mode); the venv is left exactly as it was before install."""
    target = _venv(venv)
    try:
        removed = install_module.uninstall(target)
    except install_module.InstallError as e:
        raise UserError(str(e)) from None
    return "autoheal hook removed" if removed else "autoheal hook was not installed"


def flush() -> str:
    """Deliver the reports waiting in the spool."""
    config = config_module.load()
    results = flush_spool(config, time.monotonic() + max(config.timeout, FLUSH_SECONDS))
    lines = [_describe_outcome(o) for o in results.values() if o.action != "skipped"]
    lines.append(f"{len(Spool(config.spool_dir).pending())} report(s) left in the spool")
    return "\n".join(lines)


def test() -> str:
    """Send a synthetic error through the whole pipeline to check the setup."""
    config = config_module.load()
    outcome = submit(_synthetic_report(), config)
    return _describe_outcome(outcome)


@argh.arg("--synthetic", help="preview a synthetic error instead of the spool or the last delivery")
def preview(synthetic: bool = False) -> str:
    """Print exactly what is (or was last) sent to GitHub, after scrubbing."""
    config = config_module.load()
    if synthetic:
        requests = [issue_request(prepare(_synthetic_report(), Scrubber.from_environment()), config)]
        return _show_requests("would be sent for a synthetic error", requests)
    spool = Spool(config.spool_dir)
    pending = [r for r in map(spool.load, spool.pending()) if r is not None]
    if pending:
        return _show_requests(
            "would be sent for the spooled reports (as new issues)", [issue_request(r, config) for r in pending]
        )
    sent = Ledger(config.state_dir).last_sent()
    if sent:
        return _show_requests("was sent last", sent)
    return "nothing spooled and nothing sent yet"


@argh.arg("--issue", type=int, help="the issue number")
@argh.arg("--sweep", help="every open auto-heal issue not triaged yet (the scheduled trigger)")
@argh.arg("--repo", help="OWNER/NAME (default: AUTOHEAL_REPO or GITHUB_REPOSITORY)")
@argh.arg("--workdir", help="a checkout of the repository (default: a fresh clone)")
def triage(
    *, issue: int | None = None, sweep: bool = False, repo: str | None = None, workdir: str | None = None
) -> None:
    """Turn an auto-heal issue (or, with --sweep, each one not yet triaged) into a verified draft fix PR."""
    from .triage.cli import sweep as run_sweep
    from .triage.cli import triage as run_triage

    if (issue is None) == (not sweep):
        raise UserError("pass --issue N or --sweep")
    _exit_with(run_sweep(repo=repo, workdir=workdir) if sweep else run_triage(issue=issue, repo=repo, workdir=workdir))


@argh.arg("path", help="the repository to write .github/workflows/auto-heal.yml into")
@argh.arg("--action", help="OWNER/NAME@<commit sha> of this action, which the workflow installs autoheal from")
def init_workflow(path: str, action: str | None = None) -> None:
    """Write the auto-heal triage workflow into the repository at PATH."""
    from .triage.cli import init_workflow as write_workflow

    if action is None:
        raise UserError("pass --action OWNER/NAME@<commit sha>: the workflow installs autoheal from that commit")
    _exit_with(write_workflow(path, action))


def serve(host: str = "127.0.0.1", port: int = 8004) -> None:
    """Serve the client-error endpoint that the JS snippet posts to."""
    from .endpoint.server import serve as run_server

    run_server(host, port)


def _exit_with(code: int) -> None:
    if code:
        sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    parser = argh.ArghParser(prog="autoheal", description=__doc__)
    parser.add_commands(
        [enable, disable, status, config, install, uninstall, flush, test, preview, triage, init_workflow, serve]
    )
    try:
        parser.dispatch(argv=argv)
    except (UserError, config_module.ConfigError) as e:
        print(f"autoheal: error: {e}", file=sys.stderr)
        sys.exit(2)


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
