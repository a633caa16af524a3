"""Every format of the corpus, planted in every field a report carries: nothing of it survives scrubbing.

The report goes the real way (`pipeline.prepare`, then the issue body, the JSON block and the spool form);
every byte of each is searched for every planted core.
"""

from __future__ import annotations

import json
import shlex
from urllib.parse import quote

import pytest
from scrub.corpus import FAMILIES, FORMATS, Format, Sample, rand

from autoheal import caps
from autoheal.jsreport import to_report
from autoheal.pipeline import prepare
from autoheal.report import ChainedException, Frame, Report, render_body, render_occurrence, to_dict
from autoheal.scrub import REDACTED, Scrubber

HOME, USER = "/home/zorkuser", "zorkuser"


def scrubber() -> Scrubber:
    return Scrubber(home=HOME, user=USER)


def python_report(sample: Sample, fmt: Format) -> Report:
    """A report with the sample in every field a Python crash fills."""
    text = sample.text
    segment = text if fmt.one_line and "/" not in text else rand(8)
    cwd = f"{HOME}/work/{segment}"
    frame = Frame("app", "main", f"{cwd}/app.py", 3, True, f"token = {text!r}" if fmt.one_line else "x()")
    return Report(
        source="cli-error",
        exc_type="RuntimeError",
        message=f"calling the service failed: {text}",
        frames=[frame],
        chain=[ChainedException("ValueError", f"bad config {text}", [frame], "cause")],
        traceback_text=f'Traceback (most recent call last):\n  File "{cwd}/app.py", line 3\nRuntimeError: {text}\n',
        logs=[f"INFO:svc:connecting with {line}" for line in text.splitlines()],
        argv=[f"{cwd}/app.py", text, *(shlex.split(text) if fmt.one_line and text[0] not in '{"' else []), "-v"],
        cwd=cwd,
        runtime={"implementation": "CPython", "version": "3.11.7", "executable": f"{HOME}/venv/bin/python"},
        env={"GITHUB_REF": f"refs/heads/{text}", "SERVICE_URL": text, "PWD": cwd, "OLDPWD": HOME},
        context={"tool": "lookup", "arguments": {"query": text, "options": {"note": [text]}}, "server": "inv"},
        timestamp="2026-01-01T00:00:00Z",
        trace_id="cd" * 16,
    )


def js_report(sample: Sample) -> Report:
    """A JS report with the sample in every field the snippet sends."""
    text = sample.text
    return to_report(
        {
            "v": 1,
            "kind": "error",
            "runtime": "browser",
            "name": f"TypeError {text}"[:200],
            "message": f"fetch failed {text}",
            "stack": f"TypeError: {text}\n    at load (https://app.example/app.js?t={text}:1:2)",
            "url": f"https://app.example/page?token={quote(text)}#{quote(text)}",  # as location.href has it
            "userAgent": f"Mozilla/5.0 {text}"[:500],
            "platform": text[:100],
            "tool": f"search {text}"[:200],
            "params": {"q": text[:200], "apiKey": text[:200]},
            "context": {"note": text[:200]},
        }
    )


def outputs(report: Report) -> dict[str, str]:
    """Every form a prepared report leaves the process in."""
    clean = prepare(report, scrubber())
    return {
        "body": render_body(clean),
        "comment": render_occurrence(clean, 2),
        "title": clean.title,
        "spool": json.dumps(to_dict(clean)),
    }


def leaks(report: Report, core: str) -> list[str]:
    """Where `core` (or the user name) is still found, with the text around it."""
    return [
        f"{where}: ...{data[max(0, data.find(s) - 80) : data.find(s) + 40]}..."
        for where, data in outputs(report).items()
        for s in (core, USER)
        if s in data
    ]


def test_the_corpus_is_big_and_varied():
    assert len(FORMATS) >= 60 and len({f.name for f in FORMATS}) == len(FORMATS)
    assert {"cloud", "chat", "payment", "mail", "monitoring", "registry", "ai", "infra", "private-key"} <= set(FAMILIES)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_no_format_leaks_from_a_python_report(fmt: Format):
    sample = fmt.sample()
    assert leaks(python_report(sample, fmt), sample.core) == []


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_no_format_leaks_from_a_js_report(fmt: Format):
    sample = fmt.sample()
    report = js_report(sample)
    clipped = [sample.core[:100]]  # platform keeps 100 characters: the core's visible part must go too
    assert [c for c in [sample.core, *clipped] if any(c in d for d in outputs(report).values())] == []


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.one_line], ids=lambda f: f.name)
def test_redaction_leaves_no_stray_characters(fmt: Format):
    sample = fmt.sample()
    for template in ("token={}", "{}", "x {} y", '"{}"', "[{}]", "({})"):
        scrubbed = scrubber().scrub_text(template.format(sample.text))
        assert REDACTED in scrubbed, (template, scrubbed)
        assert f"{REDACTED}]]" not in scrubbed and f"[{REDACTED}" not in scrubbed.replace(f"[{REDACTED}]", "")
    assert scrubber().scrub_text(scrubber().scrub_text(sample.text)) == scrubber().scrub_text(sample.text)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("token=[abc123]", "token=[REDACTED]"),
        ("--token=secret123 password=hunter22", "--token=[REDACTED] password=[REDACTED]"),
        ('{"password": "a\\"b c"}', '{"password": "[REDACTED]"}'),
        ("redis://:hunter22@cache:6379", "redis://:[REDACTED]@cache:6379"),
        ("x=password=hunter22", "x=password=[REDACTED]"),
        ("KeyError: 'name'", "KeyError: 'name'"),
        ("sha 3f786850e387550fdab836ed7e6dc881de23001b", "sha 3f786850e387550fdab836ed7e6dc881de23001b"),
        ("cc -pthread -O2", "cc -pthread -O2"),
    ],
)
def test_exact_redactions(text, expected):
    assert scrubber().scrub_text(text) == expected


def test_pwd_and_oldpwd_stay_readable_paths():
    clean = prepare(
        python_report(Sample("plain", "plain"), FORMATS[0]),
        Scrubber.from_environment({"PWD": f"{HOME}/work/proj", "OLDPWD": HOME, "HOME": HOME}),
    )
    assert clean.env["PWD"].startswith("~/work/") and clean.env["OLDPWD"] == "~"
    assert clean.cwd.startswith("~/work/") and REDACTED not in clean.cwd
    assert Scrubber(home=HOME).scrub({"PWD": "hunter2-not-a-path"}) == {"PWD": REDACTED}
    assert Scrubber(home=HOME).scrub_text("Driver={x};PWD=hunter22;") == f"Driver={{x}};PWD={REDACTED};"


def test_a_key_logged_line_by_line_is_redacted_in_every_line():
    lines = ["-----BEGIN OPENSSH PRIVATE KEY-----", rand(70), rand(70), "-----END OPENSSH PRIVATE KEY-----", "next"]
    assert scrubber().scrub(lines) == [REDACTED] * 4 + ["next"]


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.one_line and len(f.sample().core) >= 24], ids=lambda f: f.name)
def test_a_cap_that_falls_inside_a_secret_leaves_no_piece_of_it(fmt: Format):
    sample = fmt.sample()
    start = caps.MESSAGE - len(sample.text) // 2  # the message cap cuts the sample in two
    message = "x" * (start - 1) + " " + sample.text + " and more"
    clean = prepare(Report(source="cli-error", exc_type="E", message=message, frames=[]), scrubber())
    pieces = {sample.core[i : i + 12] for i in range(len(sample.core) - 11)}
    assert "characters cut" in clean.message or clean.message.endswith(REDACTED)  # a header runs to the line end
    assert [p for p in pieces if p in clean.message] == []
