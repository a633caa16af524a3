"""A GitHub Actions job as the runner runs it, on this machine: steps in order, each with fresh
environment files (GITHUB_ENV, GITHUB_PATH, GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY) whose
contents the runner then applies to the later steps; `run:` scripts through
`bash --noprofile --norc -eo pipefail`; JavaScript actions through node with their INPUT_* variables, and
their post steps after the last step with the STATE_* the main step saved; `${{ }}` in step `env:` and
`with:` values substituted. Only what our jobs use is emulated, and anything else (another runtime, an
expression beyond contexts, literals and `||`) fails loudly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NODE = shutil.which("node") or "node"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
TERM = re.compile(r"'((?:[^']|'')*)'|([A-Za-z_][\w-]*(?:\.[\w-]+)*)")


def evaluate(text: str, contexts: dict[str, Any]) -> str:
    """`${{ a.b || 'x' }}` in `text` replaced as the runner would (only contexts, literals and `||`)."""

    def one(match: re.Match[str]) -> str:
        for term in (part.strip() for part in match.group(1).split("||")):
            parsed = TERM.fullmatch(term)
            if parsed is None:
                raise ValueError(f"expression not emulated: {match.group(0)}")
            if parsed.group(1) is not None:
                value: Any = parsed.group(1).replace("''", "'")
            else:
                value = contexts
                for name in parsed.group(2).split("."):
                    value = value.get(name) if isinstance(value, dict) else None
            if value not in (None, "", False, 0):
                return value if isinstance(value, str) else json.dumps(value)
        return ""

    return EXPRESSION.sub(one, text)


def read_env_file(path: Path) -> dict[str, str]:
    """GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE: `NAME=value` lines and `NAME<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            while lines[index] != delimiter:
                block.append(lines[index])
                index += 1
            index += 1
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        elif line.strip():
            raise ValueError(f"{path.name}: malformed line {line!r}")
    return values


@dataclass
class StepResult:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    state: dict[str, str]

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]


@dataclass
class Post:
    name: str
    action_dir: Path
    script: str
    state: dict[str, str]
    inputs: dict[str, str]


@dataclass
class Job:
    """One job: `env` is the job's environment (what `env:` at job level and the runner give every step)."""

    root: Path
    env: dict[str, str]
    repository: str = "octo/hello"
    event_name: str = "push"
    event: dict[str, Any] = field(default_factory=dict)
    workspace: Path | None = None
    token: str = ""  # what `${{ github.token }}` gives
    paths: list[str] = field(default_factory=list)  # GITHUB_PATH additions, most recent first
    summaries: list[str] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.temp = self.root / "runner-temp"
        self.temp.mkdir(parents=True, exist_ok=True)
        if self.workspace is None:
            self.workspace = self.root / "workspace"
            self.workspace.mkdir(exist_ok=True)
        event_file = self.temp / "event.json"
        event_file.write_text(json.dumps(self.event))
        self.env = {
            **self.env,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_RUN_ID": "4242",
            "GITHUB_SERVER_URL": "https://github.com",
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_OS": "Linux",
        }

    @property
    def summary(self) -> str:
        return "".join(self.summaries)

    def contexts(self) -> dict[str, Any]:
        return {
            "github": {
                "token": self.token,
                "event_name": self.event_name,
                "event": self.event,
                "repository": self.repository,
                "workspace": str(self.workspace),
            },
            "runner": {"temp": str(self.temp), "os": "Linux"},
            "inputs": self.event.get("inputs", {}),
            "vars": {},
            "secrets": {},
            "env": self.env,
        }

    # -- one step -------------------------------------------------------------------------------------
    def _files(self) -> dict[str, Path]:
        folder = self.temp / "_runner_file_commands" / f"step{len(self.steps)}"
        folder.mkdir(parents=True)
        names = ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY")
        files = {name: folder / name.lower() for name in names}
        for path in files.values():
            path.touch()
        return files

    def _step(self, name: str, argv: list[str], extra: dict[str, str], cwd: Path | None = None) -> StepResult:
        files = self._files()
        env = {**self.env, **extra, **{k: str(v) for k, v in files.items()}}
        env["PATH"] = os.pathsep.join([*self.paths, self.env["PATH"]])
        done = subprocess.run(
            argv, env=env, cwd=cwd or self.workspace, capture_output=True, text=True, timeout=900, check=False
        )
        self.env.update(read_env_file(files["GITHUB_ENV"]))
        added = [line for line in files["GITHUB_PATH"].read_text().splitlines() if line.strip()]
        self.paths[:0] = reversed(added)  # each addition goes in front of the ones before it
        self.summaries.append(files["GITHUB_STEP_SUMMARY"].read_text())
        outputs, state = read_env_file(files["GITHUB_OUTPUT"]), read_env_file(files["GITHUB_STATE"])
        result = StepResult(name, done.returncode, done.stdout, done.stderr, outputs, state)
        self.steps.append(result)
        return result

    def run(self, script: str, *, env: dict[str, str] | None = None, name: str = "run") -> StepResult:
        """A `run:` step with `shell: bash` (the default on Linux runners); `env` values may use `${{ }}`."""
        path = self.temp / f"script-{len(self.steps)}.sh"
        path.write_text(script)
        extra = {key: evaluate(value, self.contexts()) for key, value in (env or {}).items()}
        return self._step(name, ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)], extra)

    def uses(self, action_dir: Path, with_: dict[str, str] | None = None, *, ref: str = "") -> StepResult:
        """A `uses:` step of the action checked out at `action_dir` (the runner's _actions/OWNER/NAME/REF)."""
        spec = yaml.safe_load((action_dir / "action.yml").read_text())
        declared = spec.get("inputs", {})
        unknown = set(with_ or {}) - set(declared)
        if unknown:
            raise ValueError(f"inputs the action does not declare: {unknown}")
        inputs = {name: str((with_ or {}).get(name, meta.get("default", ""))) for name, meta in declared.items()}
        inputs = {name: evaluate(value, self.contexts()) for name, value in inputs.items()}
        runs = spec["runs"]
        identity = {
            "GITHUB_ACTION": f"__{self.repository.replace('/', '_')}_{len(self.steps)}",
            "GITHUB_ACTION_PATH": str(action_dir),
            "GITHUB_ACTION_REPOSITORY": "octo/ghcache-autoheal",
            "GITHUB_ACTION_REF": ref,
        }
        if runs["using"] in ("node20", "node24"):
            extra = {**identity, **{f"INPUT_{name.upper().replace(' ', '_')}": value for name, value in inputs.items()}}
            result = self._step(spec["name"], [NODE, str(action_dir / runs["main"])], extra)
            if "post" in runs:
                self.posts.append(Post(spec["name"], action_dir, runs["post"], result.state, extra))
            return result
        raise ValueError(f"runtime not emulated: {runs['using']}")

    def finish(self) -> list[StepResult]:
        """The post steps, last registered first, with the state their main step saved as STATE_*."""
        results = []
        for post in reversed(self.posts):
            state = {f"STATE_{name}": value for name, value in post.state.items()}
            results.append(
                self._step(f"Post {post.name}", [NODE, str(post.action_dir / post.script)], {**post.inputs, **state})
            )
        return results


def checkout_of(repo_root: Path, target: Path) -> Path:
    """The action as the runner fetches it: a fresh `git clone` of the repository, so no build output.

    The working tree's uncommitted changes (tracked or new, not ignored; deletions too) are laid over the
    clone, so that the test checks the code being tested; on a clean tree the clone is left as it is.
    """
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(repo_root), str(target)], check=True)

    def files(root: Path, *which: str) -> set[str]:
        listed = subprocess.run(["git", "ls-files", "-z", *which], cwd=root, capture_output=True, check=True)
        return {name for name in listed.stdout.decode().split("\0") if name}

    wanted = {
        name
        for name in files(repo_root, "--cached", "--others", "--exclude-standard")
        if (repo_root / name).is_file() and not (repo_root / name).is_symlink()  # not a link to a local tool dir
    }
    for name in files(target, "--cached") - wanted:
        (target / name).unlink()
    for name in wanted:
        if not (target / name).exists() or (target / name).read_bytes() != (repo_root / name).read_bytes():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo_root / name, target / name)
    return target
