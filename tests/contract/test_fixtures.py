"""Recorded reality: @octokit/fixtures holds real api.github.com exchanges. For each recorded read of an
operation fakehub emulates, the same operation is asked of fakehub (path parameters mapped onto the seeded
world) and the two answers' shapes are compared: every field GitHub sent must be there, of the same JSON
type wherever both are non-null."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from fakehub import FakeHub, descriptions

from contract.check import contracts

#: Seeded values for the path parameters of the recorded operations.
SEEDED = {"owner": "octo", "repo": "hello", "issue_number": "2", "pull_number": "1", "name": "bug", "username": "hubot"}


def recorded_reads() -> list[tuple[str, dict[str, Any]]]:
    """(scenario, exchange) for every successful recorded GET."""
    found = []
    for scenario in sorted(descriptions.fixtures_dir().iterdir()):
        fixture = scenario / "normalized-fixture.json"
        if not fixture.is_file():
            continue
        for exchange in json.loads(fixture.read_text()):
            if exchange["method"] == "get" and exchange["status"] == 200 and not exchange.get("responseIsBinary"):
                found.append((scenario.name, exchange))
    return found


def shape_differences(recorded: Any, ours: Any, where: str = "") -> list[str]:
    if recorded is None or ours is None:
        return []
    if isinstance(recorded, dict):
        if not isinstance(ours, dict):
            return [f"{where or '(root)'}: object recorded, {type(ours).__name__} served"]
        problems = [f"{where}.{key}: missing" for key in recorded if key not in ours]
        for key in recorded.keys() & ours.keys():
            problems += shape_differences(recorded[key], ours[key], f"{where}.{key}")
        return problems
    if isinstance(recorded, list):
        if not isinstance(ours, list):
            return [f"{where}: list recorded, {type(ours).__name__} served"]
        return shape_differences(recorded[0], ours[0], f"{where}[0]") if recorded and ours else []
    numeric = (int, float)
    same = type(recorded) is type(ours) or (isinstance(recorded, numeric) and isinstance(ours, numeric))
    return [] if same else [f"{where}: {type(recorded).__name__} recorded, {type(ours).__name__} served"]


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(mode="plain") as running:
        yield running


def test_answers_have_the_recorded_shape(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    rest, _ = contracts()
    pool = urllib3.PoolManager()
    compared, skipped, problems = set(), set(), []
    for scenario, exchange in recorded_reads():
        path = exchange["path"].split("?")[0]
        op = rest.operation("GET", path)
        if op is None:
            skipped.add(f"{scenario} {path}")
            continue
        params = re.findall(r"\{(\w+)\}", op.template)
        if not set(params) <= set(SEEDED):
            skipped.add(f"{scenario} {op.name}")
            continue
        ours_path = re.sub(r"\{(\w+)\}", lambda m: SEEDED[m[1]], op.template)
        answer = pool.request("GET", hub.api_url + ours_path, headers={"Authorization": f"token {hub.default_token}"})
        if answer.status == 404:  # a route fakehub does not emulate (it names those on stderr)
            skipped.add(f"{scenario} {op.name} (not emulated)")
            continue
        assert answer.status == 200, (op.name, answer.data[:200])
        recorded = exchange["response"]
        if isinstance(recorded, str):
            recorded = json.loads(recorded)
        compared.add(op.name)
        problems += [f"{scenario} {op.name}: {p}" for p in shape_differences(recorded, json.loads(answer.data))]
    with capsys.disabled():
        print(
            f"\n@octokit/fixtures {descriptions.version('fixtures')}: {len(compared)} operations compared "
            f"({sorted(compared)}), {len(skipped)} recorded reads not emulated, shape mismatches: {len(problems)}"
        )
    assert len(compared) >= 4
    assert not problems, "\n".join(problems[:40])
