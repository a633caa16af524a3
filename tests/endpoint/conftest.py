"""Fixtures: an endpoint app with a frozen clock and a list standing in for the reporter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from endpoint.rig import FrozenClock

from autoheal.endpoint.app import ClientErrorApp
from autoheal.endpoint.limits import RateLimiter
from autoheal.endpoint.settings import Settings


@pytest.fixture
def accepted() -> list[dict]:
    return []


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def make(accepted: list[dict], clock: FrozenClock) -> Callable[..., ClientErrorApp]:
    def build(accept: Callable[[dict], bool] | None = None, **settings: Any) -> ClientErrorApp:
        s = Settings(**settings)
        limiter = RateLimiter(s.per_minute, s.max_clients, clock=clock)
        return ClientErrorApp(s, accept or (lambda r: accepted.append(r) is None), limiter)

    return build
