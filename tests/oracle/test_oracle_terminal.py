"""The differential oracle on a terminal: the shim may cache an invocation there only if gh did not ask.

On a terminal (stdin and stdout TTYs, prompts not disabled) gh asks for what it cannot decide alone,
and a cached answer would replay the user's earlier choice without asking. Each generated invocation
(`oracle_grammar.generate_terminal`: the grammar, in repository layouts, mostly without `-R`) whose
verdict is "read", on a terminal or off it, plus one in five of the rest, runs through the real gh
on a pty (`oracle_terminal`) against fakehub; gh asking is recorded as an effect, like opening a
browser. The shim's verdict on a terminal (the policy for stdin and stdout terminals, and the repo
the key would name) may be "read" only if gh sent only reads and did nothing else, prompting
included. The hub is plain HTTP (host `github.localhost`) so that gh takes the repo from the
checkout's remotes, and octo/hello has two workflows named "CI", so that gh asks which one a name
means. By default a fast subset runs; `make oracle` (ORACLE_FULL=1) runs the full set.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fakehub import FakeHub
from oracle_grammar import generate_terminal
from oracle_rig import Observation, OracleRig, seed_scratch
from oracle_terminal import SETSID

FULL_CASES = 400
FAST_CASES = 60
WORKERS = 2
SAMPLE_EVERY = 5  # of the cases no verdict calls a read, every fifth still runs


def seed_twin_workflow(hub: FakeHub) -> None:
    """A second workflow named "CI" in octo/hello (another file, its own id), as a repo may have."""
    state = hub.state
    run = state.add_run("octo/hello", name="CI nightly", event="schedule")
    with state.lock:
        run.name = "CI"


@pytest.fixture(scope="module")
def rigs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[OracleRig]]:
    work = tmp_path_factory.mktemp("oracle-terminal")
    logins = [f"terminal{index}" for index in range(WORKERS)]
    with FakeHub(mode="plain") as hub:
        made = [OracleRig(hub, work / login, login) for login in logins]
        seed_scratch(hub, logins)
        seed_twin_workflow(hub)
        yield made


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="prompt detection reads /proc")
@pytest.mark.timeout(3600)
def test_shim_never_caches_what_gh_asks_on_a_terminal(rigs: list[OracleRig]) -> None:
    count = FULL_CASES if os.environ.get("ORACLE_FULL") == "1" else FAST_CASES
    started = time.monotonic()
    planned = []  # (layout, argv, cwd, plain verdict, terminal verdict, rig): decided here, where chdir is safe
    for index, case in enumerate(generate_terminal(count)):
        rig = rigs[index % WORKERS]
        argv, cwd = rig.materialise(case)
        plain, on_terminal = rig.decide(argv, cwd), rig.decide_on_terminal(argv, cwd)
        if "read" in (plain.action, on_terminal.action) or index % SAMPLE_EVERY == 0:
            planned.append((case.layout, argv, cwd, plain, on_terminal, rig))

    def run_share(rig: OracleRig) -> list[tuple[int, Observation]]:
        return [
            (i, plan[5].observe(plan[1], plan[2], terminal=True)) for i, plan in enumerate(planned) if plan[5] is rig
        ]

    with ThreadPoolExecutor(WORKERS) as pool:
        observed = dict(item for share in pool.map(run_share, rigs) for item in share)
    elapsed = time.monotonic() - started

    unsafe, tally, prompted = [], Counter(), Counter()
    for index, (layout, argv, _cwd, plain, on_terminal, _rig) in enumerate(planned):
        seen = observed[index]
        truth = (
            "prompted" if seen.prompted else "effect" if seen.effects else "read" if seen.requests else "nothing sent"
        )
        tally[f"{on_terminal.action} / {truth}"] += 1
        if seen.prompted:
            prompted[f"{plain.command or argv[0]}: {plain.action} off a terminal"] += 1
        if on_terminal.action == "read" and seen.effects:
            unsafe.append(f"gh {' '.join(argv)!r} in layout {layout}: {on_terminal.reason}; gh did {seen.effects}")
    summary = {
        "generated": count,
        "run on a terminal": len(planned),
        "seconds": round(elapsed, 1),
        "prompted": dict(sorted(prompted.items())),
        "shim on a terminal / truth": dict(sorted(tally.items())),
        "setsid": bool(SETSID),
    }
    if os.environ.get("ORACLE_REPORT"):
        Path(os.environ["ORACLE_REPORT"]).with_suffix(".terminal.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    assert not unsafe, f"{len(unsafe)} cached on a terminal, where gh asked or wrote:\n" + "\n".join(unsafe[:30])
    # The oracle means something only if gh was seen to ask where a read was asked for (what the rule
    # must catch), and reads on a terminal were confirmed.
    assert sum(n for name, n in prompted.items() if name.endswith("read off a terminal")) >= 1, summary
    assert tally["read / read"] >= len(planned) // 8, summary
