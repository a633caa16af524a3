"""The token bucket with a frozen clock, and the bound on its table."""

from __future__ import annotations

from endpoint.rig import FrozenClock

from autoheal.endpoint.limits import RateLimiter


def test_burst_then_refill_at_the_per_minute_rate():
    clock = FrozenClock()
    limiter = RateLimiter(per_minute=60, clock=clock)
    assert [limiter.check("a") for _ in range(60)] == [0] * 60
    assert limiter.check("a") == 1
    clock.now += 1
    assert limiter.check("a") == 0
    assert limiter.check("a") == 1


def test_retry_after_is_the_time_to_the_next_token():
    clock = FrozenClock()
    limiter = RateLimiter(per_minute=2, clock=clock)
    limiter.check("a"), limiter.check("a")
    assert limiter.check("a") == 30
    clock.now += 29
    assert limiter.check("a") == 1
    clock.now += 1
    assert limiter.check("a") == 0


def test_the_table_is_bounded_and_forgets_the_least_recent():
    clock = FrozenClock()
    limiter = RateLimiter(per_minute=1, max_clients=100, clock=clock)
    limiter.check("old")
    for i in range(1000):
        limiter.check(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) == 100
    assert limiter.check("old") == 0, "evicted, so it starts a fresh bucket"
