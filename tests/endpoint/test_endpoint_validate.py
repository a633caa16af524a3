"""The payload shape, table-driven: what the snippet sends passes, anything else is refused."""

from __future__ import annotations

import json

import pytest
from endpoint.rig import VALID

from autoheal.endpoint.validate import Invalid, parse, validate

FULL = dict(
    VALID,
    userAgent="UA",
    platform="Linux",
    tool="search",
    params={"q": "x", "n": 2, "ok": True, "z": None},
    retries=3,
    context={"screen": "cart", "ratio": 0.5},
    timestamp="2026-01-01T00:00:00.000Z",
)


@pytest.mark.parametrize("report", [VALID, FULL, {"name": "", "message": ""}])
def test_accepted(report):
    assert validate(report) == report


@pytest.mark.parametrize(
    "change",
    [
        {"name": 1},
        {"message": None},
        {"v": 2},
        {"v": True},
        {"kind": "other"},
        {"runtime": "deno"},
        {"stack": "s" * 16_001},
        {"message": "m" * 2001},
        {"retries": -1},
        {"retries": 1.5},
        {"retries": True},
        {"retries": 1001},
        {"params": []},
        {"params": {"a": {"b": 1}}},
        {"params": {"a": [1]}},
        {"params": {f"k{i}": i for i in range(51)}},
        {"params": {"k" * 51: 1}},
        {"context": {"a": "v" * 201}},
        {"extra": 1},
        {"__proto__": {}},
        {"name": "\ud800"},
        {"params": {"a": 2**64}},
    ],
)
def test_refused(change):
    with pytest.raises(Invalid):
        validate(dict(FULL, **change))


@pytest.mark.parametrize("report", [[], "text", 1, None, {"message": "no name"}, {"name": "no message"}])
def test_not_a_report(report):
    with pytest.raises(Invalid):
        validate(report)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"\xff\xfe\x00",
        b'{"name": NaN, "message": ""}',
        b'{"name": "a", "message": "", "retries": Infinity}',
        b"[" * 100_000,
        b'{"name": 1' + b"0" * 5000 + b', "message": ""}',
        b"\xef\xbb\xbf" + json.dumps(VALID).encode(),
        json.dumps(VALID).encode("utf-16"),
    ],
)
def test_unparseable_bodies(body):
    with pytest.raises(Invalid):
        parse(body)


def test_the_error_never_echoes_the_value():
    with pytest.raises(Invalid) as err:
        validate(dict(VALID, name={"secret": "ghp_" + "a" * 36}))
    assert "ghp_" not in str(err.value)


def test_parse_roundtrip():
    assert parse(json.dumps(FULL).encode()) == FULL
