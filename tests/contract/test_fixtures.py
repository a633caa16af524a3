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
SEEDED = {
    "owner": "octo",
    "repo": "hello",
    "issue_number": "2",
    "pull_number": "1",
    "name": "bug",
    "username": "hubot",
    "tag": "v1.0.0",
}
BY_ID = re.compile(r"^/repositories/\d+(/.*)?$")


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
    served = 0
    repo_id = hub.state.get_repo("octo/hello").id
    for scenario, exchange in recorded_reads():
        path, _, query = exchange["path"].partition("?")
        by_id = BY_ID.match(path)  # GitHub's Link headers point here: the same operations, by repository id
        op = rest.operation("GET", f"/repos/{{owner}}/{{repo}}{by_id[1] or ''}" if by_id else path)
        if op is None:
            skipped.add(f"{scenario} {path}")
            continue
        params = re.findall(r"\{(\w+)\}", op.template)
        if not set(params) <= set(SEEDED):
            skipped.add(f"{scenario} {op.name}")
            continue
        ours_path = re.sub(r"\{(\w+)\}", lambda m: SEEDED[m[1]], op.template)
        if by_id:
            ours_path = f"/repositories/{repo_id}{by_id[1] or ''}"
        paging = "&".join(p for p in query.split("&") if p.startswith(("per_page=", "page=")))
        if op.name == "search/issues-and-pull-requests":
            paging = "q=repo:octo/hello"
        answer = pool.request(
            "GET",
            hub.api_url + ours_path + (f"?{paging}" if paging else ""),
            headers={"Authorization": f"token {hub.default_token}"},
        )
        if answer.status == 404:  # a route fakehub does not emulate (it names those on stderr)
            skipped.add(f"{scenario} {op.name} (not emulated)")
            continue
        assert answer.status == 200, (op.name, answer.data[:200])
        recorded = exchange["response"]
        if isinstance(recorded, str):
            recorded = json.loads(recorded)
        compared.add(op.name)
        served += 1
        problems += [f"{scenario} {op.name}: {p}" for p in shape_differences(recorded, json.loads(answer.data))]
    with capsys.disabled():
        print(
            f"\n@octokit/fixtures {descriptions.version('fixtures')}: {served} recorded answers of "
            f"{len(compared)} operations compared ({sorted(compared)}), {len(skipped)} recorded reads not "
            f"emulated, shape mismatches: {len(problems)}"
        )
    assert len(compared) >= 7 and served >= 13
    assert not problems, "\n".join(problems[:40])
