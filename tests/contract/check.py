"""Checks a batch of recorded exchanges against both descriptions and sums the result up."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

from fakehub import descriptions

from .graphql_contract import GraphQLContract, GraphQLReport
from .rest_contract import RestContract, RestReport


@dataclass
class Summary:
    rest: RestReport = field(default_factory=RestReport)
    graphql: GraphQLReport = field(default_factory=GraphQLReport)
    seconds: float = 0.0

    @property
    def mismatches(self) -> list[str]:
        return list(dict.fromkeys([*self.rest.mismatches, *self.graphql.mismatches]))

    def lines(self, limit: int = 20) -> list[str]:
        found = self.mismatches
        head = [
            f"descriptions: @octokit/openapi {descriptions.version('openapi')}, "
            f"@octokit/graphql-schema {descriptions.version('graphql-schema')}",
            f"REST: {self.rest.checked} exchanges, {len(self.rest.operations)} operations checked",
            f"GraphQL: {self.graphql.checked} exchanges, {len(self.graphql.documents)} distinct documents checked "
            f"({self.graphql.invalid_refused} invalid ones refused)",
            f"mismatches: {len(found)} (checked in {self.seconds:.1f} s)",
        ]
        return head + [f"  {m}" for m in found[:limit]]


@functools.cache
def contracts() -> tuple[RestContract, GraphQLContract]:
    """Both descriptions, loaded once per process (a few seconds)."""
    return RestContract(), GraphQLContract()


def check_all(exchanges: list[dict[str, Any]]) -> Summary:
    started = time.perf_counter()
    rest, graphql = contracts()
    summary = Summary()
    for exchange in exchanges:
        if exchange["path"] == "/graphql":
            graphql.check(exchange, summary.graphql)
        else:
            rest.check(exchange, summary.rest)
    summary.seconds = time.perf_counter() - started
    return summary
