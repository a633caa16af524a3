"""The request path, check by check: status codes, headers, and that nothing reaches the reporter early."""

from __future__ import annotations

import pytest
from endpoint.rig import VALID, call

from autoheal.config import ConfigError
from autoheal.endpoint.settings import HEALTH_PATH, REPORT_PATH, Settings

ORIGIN = "https://app.example"


def test_a_valid_report_is_accepted_and_handed_on(make, accepted):
    reply = call(make(), body=VALID)
    assert (reply.status, reply.json()) == (202, {"accepted": True})
    assert accepted == [VALID]


def test_health_route(make):
    assert call(make(), "GET", HEALTH_PATH).json() == {"ok": True}
    assert call(make(), "POST", HEALTH_PATH).status == 405


@pytest.mark.parametrize(
    "method, path, status",
    [("GET", REPORT_PATH, 405), ("PUT", REPORT_PATH, 405), ("POST", "/other", 404), ("GET", "/", 404)],
)
def test_other_routes_and_methods(make, accepted, method, path, status):
    assert call(make(), method, path, body=VALID).status == status
    assert accepted == []


def test_cors_preflight_only_for_allowed_origins(make):
    app = make(allowed_origins=frozenset({ORIGIN}))
    ok = call(app, "OPTIONS", headers={"HTTP_ORIGIN": ORIGIN})
    assert ok.status == 204
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Autoheal-Key" in ok.headers["Access-Control-Allow-Headers"]
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    denied = call(app, "OPTIONS", headers={"HTTP_ORIGIN": "https://evil.example"})
    assert denied.status == 403
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_a_post_from_another_origin_is_refused_before_anything_else(make, accepted):
    app = make(allowed_origins=frozenset({ORIGIN}))
    assert call(app, body=VALID, headers={"HTTP_ORIGIN": "https://app.example.evil"}).status == 403
    reply = call(app, body=VALID, headers={"HTTP_ORIGIN": ORIGIN})
    assert reply.status == 202
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert reply.headers["Vary"] == "Origin"
    assert len(accepted) == 1


def test_no_origins_configured_means_no_browser_may_post(make, accepted):
    assert call(make(), body=VALID, headers={"HTTP_ORIGIN": ORIGIN}).status == 403
    assert call(make(), body=VALID).status == 202, "servers and Node send no Origin"


@pytest.mark.parametrize("given, status", [(None, 401), ("wrong", 401), ("", 401), ("pub-key-1", 202)])
def test_ingest_key(make, given, status):
    headers = {} if given is None else {"HTTP_X_AUTOHEAL_KEY": given}
    assert call(make(ingest_key="pub-key-1"), body=VALID, headers=headers).status == status


def test_size_cap_is_checked_from_the_declared_length(make, accepted):
    app = make(max_body=1024)
    big = dict(VALID, stack="s" * 2000)
    assert call(app, body=big).status == 413
    reply = call(app, body=VALID, headers={"CONTENT_LENGTH": str(10**12)})
    assert reply.status == 413
    assert accepted == []


@pytest.mark.parametrize("length", ["", "-1", "abc", "1e3", "٣", "9" * 40])
def test_a_missing_or_odd_length_is_411(make, length):
    assert call(make(), body=VALID, headers={"CONTENT_LENGTH": length}).status == 411


def test_a_body_shorter_than_its_length_is_400_not_a_hang(make):
    assert call(make(), body=b'{"name"', headers={"CONTENT_LENGTH": "500"}).status == 400


@pytest.mark.parametrize(
    "ctype, status",
    [
        ("text/plain;charset=UTF-8", 202),
        ("application/json; charset=utf-8", 202),
        ("application/x-www-form-urlencoded", 415),
        ("", 415),
    ],
)
def test_content_types(make, ctype, status):
    assert call(make(), body=VALID, content_type=ctype).status == status


def test_rate_limit_per_client_with_retry_after(make, clock, accepted):
    app = make(per_minute=3)
    assert [call(app, body=VALID).status for _ in range(4)] == [202, 202, 202, 429]
    limited = call(app, body=VALID)
    assert limited.status == 429 and limited.headers["Retry-After"] == "20"
    other = call(app, body=VALID, headers={"REMOTE_ADDR": "198.51.100.1"})
    assert other.status == 202, "another client has its own budget"
    clock.now += 20
    assert call(app, body=VALID).status == 202


def test_forwarded_for_counts_only_when_trusted(make):
    hops = {"HTTP_X_FORWARDED_FOR": "10.9.9.9, 192.0.2.44"}
    trusted = make(per_minute=1, trust_forwarded=True)
    assert call(trusted, body=VALID, headers=hops).status == 202
    assert call(trusted, body=VALID).status == 202, "the peer address is another client"
    assert call(trusted, body=VALID, headers={"HTTP_X_FORWARDED_FOR": "1.1.1.1, 192.0.2.44"}).status == 429
    untrusted = make(per_minute=1)
    call(untrusted, body=VALID, headers=hops)
    assert call(untrusted, body=VALID, headers={"HTTP_X_FORWARDED_FOR": "8.8.8.8"}).status == 429


def test_a_saturated_reporter_sheds_load_with_429(make):
    reply = call(make(accept=lambda report: False), body=VALID)
    assert reply.status == 429 and reply.headers["Retry-After"] == "5"


def test_an_internal_fault_is_a_400_never_a_500(make):
    def broken(report):
        raise RuntimeError("bug")

    assert call(make(accept=broken), body=VALID).status == 400


def test_settings_from_the_environment():
    settings = Settings.from_env(
        {
            "AUTOHEAL_ALLOWED_ORIGINS": " https://a.example/, http://127.0.0.1:3000 ,,",
            "AUTOHEAL_INGEST_KEY": "pub",
            "AUTOHEAL_ENDPOINT_PER_MINUTE": "5",
            "AUTOHEAL_ENDPOINT_MAX_BYTES": "2048",
            "AUTOHEAL_TRUST_FORWARDED": "1",
        }
    )
    assert settings.allowed_origins == {"https://a.example", "http://127.0.0.1:3000"}
    assert (settings.ingest_key, settings.per_minute, settings.max_body, settings.trust_forwarded) == (
        "pub",
        5,
        2048,
        True,
    )
    assert Settings.from_env({}) == Settings()
    for bad in ("0", "-1", "ten", "1.5"):
        with pytest.raises(ConfigError, match="AUTOHEAL_ENDPOINT_PER_MINUTE"):
            Settings.from_env({"AUTOHEAL_ENDPOINT_PER_MINUTE": bad})
