"""The differential oracle: the real gh is the truth about what an invocation does.

Each generated invocation (`oracle_grammar`) runs through the real gh 2.102 against fakehub; the
policy may call it a read only if every request gh sent was a GET/HEAD or a GraphQL query and gh did
nothing else (no browser, no git command that changes anything, no file written). By default a
fast, fixed subset runs; `make oracle` (ORACLE_FULL=1) runs the full set of 2,400.
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
from oracle_grammar import generate
from oracle_rig import Observation, OracleRig, seed_scratch

FULL_CASES = 2400
FAST_CASES = 240
WORKERS = 2


@pytest.fixture(scope="module")
def rigs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[OracleRig]]:
    work = tmp_path_factory.mktemp("oracle")
    logins = [f"oracle{index}" for index in range(WORKERS)]
    with FakeHub(mode="tls") as hub:
        made = [OracleRig(hub, work / login, login) for login in logins]
        seed_scratch(hub, logins)
        yield made


@pytest.mark.timeout(3600)  # the full set takes minutes, many more on a loaded machine
def test_policy_never_calls_a_write_a_read(rigs: list[OracleRig]) -> None:
    count = FULL_CASES if os.environ.get("ORACLE_FULL") == "1" else FAST_CASES
    cases = generate(count)
    started = time.monotonic()
    planned = []  # (case, argv, cwd, decision, rig): decided here, where chdir is safe
    for index, case in enumerate(cases):
        rig = rigs[index % WORKERS]
        argv, cwd = rig.materialise(case)
        planned.append((case, argv, cwd, rig.decide(argv, cwd), rig))

    def run_share(rig: OracleRig) -> list[tuple[int, Observation]]:
        return [(i, plan[4].observe(plan[1], plan[2])) for i, plan in enumerate(planned) if plan[4] is rig]

    with ThreadPoolExecutor(WORKERS) as pool:
        observed = dict(item for share in pool.map(run_share, rigs) for item in share)
    elapsed = time.monotonic() - started

    unsafe, tally = [], Counter()
    for index, (_case, argv, _cwd, decision, _rig) in enumerate(planned):
        seen = observed[index]
        truth = "effect" if seen.effects else ("read" if seen.requests else "nothing sent")
        tally[f"{decision.action} / {truth}"] += 1
        if decision.action == "read" and seen.effects:
            unsafe.append(f"#{index} gh {' '.join(argv)!r}: {decision.reason}; gh did {seen.effects}")
    summary = {"cases": len(cases), "seconds": round(elapsed, 1), "policy / truth": dict(sorted(tally.items()))}
    if os.environ.get("ORACLE_REPORT"):
        Path(os.environ["ORACLE_REPORT"]).write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    assert not unsafe, f"{len(unsafe)} writes classified as reads:\n" + "\n".join(unsafe[:30])
    # The oracle means something only if gh really reached the hub: reads confirmed, writes seen.
    assert tally["read / read"] >= len(cases) // 5, summary
    assert sum(n for name, n in tally.items() if name.endswith("/ effect")) >= len(cases) // 10, summary
