"""Runs one generated invocation through the real gh against fakehub and records what gh did.

What gh sent is read from fakehub's request log (HTTP method, GraphQL operation type), filtered by
the worker's own user so that two workers can run at once. What else it did is recorded by
recorders: `BROWSER`/`GH_BROWSER` point at a script that logs its arguments, a `git` first on PATH
logs each git command before running the real git, and the working directory is compared before
and after (git's own directory aside: what git did is judged by the git recorder). By default stdin
is /dev/null, so gh never waits for an answer; `observe(..., terminal=True)` runs gh on a terminal
(`oracle_terminal`) instead, where gh asking the user is one more thing it did: "prompted".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from fakehub import FakeHub
from oracle_grammar import SHA, WRITE_REPO, Case
from oracle_terminal import run_on_terminal, terminal_env
from support import REAL_GH

from ghcache import gitctx, keys, policy
from ghcache.decision import Decision

# git commands that only look: anything else gh runs (fetch, checkout, push, clone, config set...) is an effect.
READ_ONLY_GIT = ("remote", "rev-parse", "symbolic-ref", "status", "log", "show-ref", "for-each-ref", "version")
TIMEOUT_S = 60


@dataclass
class Observation:
    """What gh did for one invocation: the requests it sent and its other effects."""

    requests: list[str] = field(default_factory=list)  # "GET /repos/o/r", "POST /graphql query"
    effects: list[str] = field(default_factory=list)  # anything that is not a pure read
    exit_code: int | None = 0
    prompted: bool = False


def _recorder(path: Path, kind: str, then: str = "") -> None:
    path.write_text(f'#!/bin/sh\nprintf "%s\\n" "{kind} $*" >> "$ORACLE_EVENTS"\n{then}')
    path.chmod(0o755)


def _git_effect(line: str) -> bool:
    words = line.split()[1:]
    while words and words[0].startswith("-"):  # `git -C dir ...`, `git -c k=v ...`
        words = words[2:] if words[0] in ("-C", "-c") else words[1:]
    if not words:
        return False
    if words[0] == "config":
        return not _git_config_reads(words[1:])
    return words[0] not in READ_ONLY_GIT


def _git_config_reads(args: list[str]) -> bool:
    """`git config --get...`/`--list`/`get`/`list`, or a bare `git config NAME`, which prints NAME's value."""
    if any(arg.startswith(("--get", "--list", "-l")) for arg in args) or args[:1] in (["get"], ["list"]):
        return True
    options = [arg for arg in args if arg.startswith("-")]
    names = [arg for arg in args if not arg.startswith("-")]
    scopes = ("--local", "--global", "--system", "--worktree", "--includes", "--no-includes", "-z", "--null")
    return len(names) == 1 and all(option in scopes for option in options)


class OracleRig:
    """One worker: its own user, home, recorders and request-log cursor."""

    def __init__(self, hub: FakeHub, work: Path, login: str) -> None:
        self.hub = hub
        self.login = login
        self.work = work
        bin_dir = work / "bin"
        bin_dir.mkdir(parents=True)
        _recorder(bin_dir / "browser", "browser")
        self.real_git = shutil.which("git") or "/usr/bin/git"
        _recorder(bin_dir / "git", "git", f'exec {self.real_git} "$@"\n')
        home = work / "home"
        home.mkdir()
        token = f"oracle-token-{login}"
        hub.add_user(login, token)
        self.env = {**os.environ, **hub.gh_env(token=token, home=home)}
        self.env.update(
            {
                "PATH": os.pathsep.join([str(bin_dir), str(Path(REAL_GH).parent), "/usr/bin", "/bin"]),
                "BROWSER": str(bin_dir / "browser"),
                "GH_BROWSER": str(bin_dir / "browser"),
                "GH_REPO": "",
            }
        )
        self.seen = 0
        self.runs = 0

    def materialise(self, case: Case) -> tuple[list[str], Path]:
        """The argv with the hub's host and seeded ids filled in, and a fresh working directory."""
        self.runs += 1
        cwd = Path(tempfile.mkdtemp(prefix=f"case{self.runs}-", dir=self.work))
        self._lay_out(case.layout, cwd)
        for name, data in case.files.items():
            (cwd / name).write_bytes(data)
        hello = self.hub.state.get_repo("octo/hello")
        values = {"HOST": self.hub.host, "RUN": str(hello.runs[0].id), SHA: hello.commits[0].sha}
        argv = []
        for arg in case.argv:
            for placeholder, value in values.items():
                arg = arg.replace(placeholder, value)
            argv.append(arg)
        return argv, cwd

    def _lay_out(self, layout: str, cwd: Path) -> None:
        """Make `cwd` a checkout of the given layout (`oracle_grammar.LAYOUTS`), remotes on the hub's host."""
        if layout == "none":
            return
        forked = layout.startswith("fork")
        remotes = {"origin": WRITE_REPO, "upstream": "octo/hello"} if forked else {"origin": "octo/hello"}
        commands = [["init", "-q", "-b", "main"]]
        commands += [["remote", "add", name, f"https://{self.hub.host}/{repo}.git"] for name, repo in remotes.items()]
        if layout == "fork-resolved":
            commands.append(["config", "remote.upstream.gh-resolved", "base"])
        elif layout == "topic-branch":
            commands.append(["symbolic-ref", "HEAD", "refs/heads/oracle-topic"])
        elif layout == "pr-branch":
            pull = next(issue.pull for issue in self.hub.state.get_repo("octo/hello").issues.values() if issue.pull)
            commands.append(["symbolic-ref", "HEAD", f"refs/heads/{pull.head_ref}"])
        for command in commands:
            subprocess.run([self.real_git, *command], cwd=cwd, env=self.env, check=True, capture_output=True)

    def decide(self, argv: list[str], cwd: Path) -> Decision:
        """The policy's verdict, taken in the case's directory (it reads `@file` and `--input` there)."""
        here = os.getcwd()
        os.chdir(cwd)
        try:
            return policy.decide(argv)
        finally:
            os.chdir(here)

    def decide_on_terminal(self, argv: list[str], cwd: Path) -> Decision:
        """What the shim does on a terminal where gh may prompt: the policy's verdict for stdin and stdout
        terminals, and for a read the repo gh would act on (which the shim passes through when unsure)."""
        env = terminal_env(self.env)
        here = os.getcwd()
        os.chdir(cwd)
        try:
            decision = policy.decide(argv, stdin_tty=True, stdout_tty=True, env=env)
            if decision.action == "read":
                keys.repo_context(decision, env, str(cwd), can_prompt=True)
        except gitctx.Ambiguous as unsure:
            return Decision("pass", f"repo not certain on a terminal ({unsure})", decision.command)
        finally:
            os.chdir(here)
        return decision

    def observe(self, argv: list[str], cwd: Path, *, terminal: bool = False) -> Observation:
        events = cwd.parent / f"{cwd.name}.events"
        events.touch()
        before = _files(cwd)
        seen = Observation()
        env = {**self.env, "ORACLE_EVENTS": str(events)}
        if terminal:
            ran = run_on_terminal([REAL_GH, *argv], terminal_env(env), cwd, TIMEOUT_S)
            seen.exit_code, seen.prompted = ran.exit_code, bool(ran.prompted)
            if ran.prompted:
                seen.effects.append(f"prompted: {ran.prompted}")
            elif ran.exit_code is None:
                seen.effects.append(f"still running after {TIMEOUT_S}s")
        else:
            try:
                done = subprocess.run(
                    [REAL_GH, *argv], env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT_S
                )
                seen.exit_code = done.returncode
            except subprocess.TimeoutExpired:
                seen.effects.append(f"still running after {TIMEOUT_S}s")
        for entry in self._new_requests():
            kind = entry.get("graphql_operation_type") if entry["path"] == "/graphql" else None
            seen.requests.append(f"{entry['method']} {entry['path']}" + (f" {kind}" if kind else ""))
            if entry["path"] == "/graphql" and entry["method"] == "POST":
                if kind not in (None, "query"):
                    seen.effects.append(f"GraphQL {kind}")
            elif entry["method"] not in ("GET", "HEAD"):
                seen.effects.append(f"{entry['method']} {entry['path']}")
        for line in events.read_text().splitlines():
            if line.startswith("browser") or (line.startswith("git") and _git_effect(line)):
                seen.effects.append(line)
        after = _files(cwd)
        for path in sorted(set(after) - set(before)) + [p for p in before if after.get(p, before[p]) != before[p]]:
            seen.effects.append(f"wrote {path.relative_to(cwd)}")
        return seen

    def _new_requests(self) -> list[dict[str, object]]:
        mine = [entry for entry in self.hub.requests() if entry.get("user") == self.login]
        fresh, self.seen = mine[self.seen :], len(mine)
        return fresh


def _files(cwd: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in cwd.rglob("*") if path.is_file() and ".git" not in path.parts}


def seed_scratch(hub: FakeHub, logins: list[str]) -> None:
    """The repo writes aim at, with issues, labels and a release, writable by the oracle's users."""
    from fakehub.seed import seed_issues

    state = hub.state
    state.add_repo(WRITE_REPO, collaborators={"octocat", *logins})
    seed_issues(state, WRITE_REPO)
    state.ensure_label(WRITE_REPO, "bug", "d73a4a", "Something is broken")
    state.add_release(WRITE_REPO, "v1.0.0", name="scratch v1.0.0", body="notes")
    with state.lock:
        state.get_repo("octo/hello").collaborators.update(logins)
