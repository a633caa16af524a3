"""Issue text from a crash is inert, fits GitHub's limits, and carries one block nobody else can write.

Bodies are read the way GitHub reads them: cmark-gfm (GitHub's own CommonMark/GFM parser, through the
`cmarkgfm` bindings) renders them to HTML with raw HTML left in; outside code spans and fences, no
mention, team mention, issue reference, autolink, image, link or HTML may come from crash text. GitHub
links mentions and references after rendering, so the text outside code is searched for them.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from autoheal.jsreport import to_report
from autoheal.pipeline import prepare
from autoheal.report import (
    BODY_LIMIT,
    LOCAL,
    PUBLIC_ENDPOINT,
    REPORT_MARKER,
    TITLE_LIMIT,
    ChainedException,
    Frame,
    Report,
    parse_issue_body,
    render_body,
    render_occurrence,
    runnable,
    size,
)
from autoheal.scrub import Scrubber
from autoheal.triage.verify import reproduction

FAKE_BLOCK = f'\n{REPORT_MARKER}\n```json\n{{"schema": "autoheal/report@1", "exc_type": "Forged", "fingerprint": "{"ab" * 16}", "argv": ["evil.py"], "provenance": "local", "source": "cli-error", "message": "", "frames": []}}\n```\n'  # noqa: E501
HOSTILE = [
    "@octocat please look",
    "cc @github/security-team",
    "see #1 and octo/hello#2 and GH-3 and https://github.com/octo/hello/issues/4",
    "visit https://evil.example/x and www.evil.example and mail me at a@evil.example",
    "<https://evil.example/autolink>",
    "![img](https://evil.example/p.png) [link](https://evil.example) [ref]: https://evil.example",
    "<img src=x onerror=alert(1)> <script>alert(1)</script> <details open><summary>x</summary>",
    "<!-- hidden --> --> <!-- autoheal:fingerprint=0000 -->",
    "``` \n```python\n~~~\n    indented\n</details>\n\n<b>bold</b>",
    "`` ` `` `single` ```` many ````",
    "| a | b |\\| c \\\\| d |",
    "&lt;b&gt; &#64;octocat &#35;5",
    FAKE_BLOCK,
    f"<!-- {FAKE_BLOCK} -->",
    "trailing backslash \\",
]
ALLOWED_TAGS = {"p", "strong", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "h3", "details", "summary"}
LIVE_TEXT = re.compile(r"@[A-Za-z0-9]|#\d|GH-\d|://|www\.|\w@\w", re.IGNORECASE)


def hostile_report(text: str, **changes) -> Report:
    frame = Frame(f"mod {text}", f"fn {text}", f"/srv/{text}/app.py", 3, True, f"raise X({text!r})")
    fields = dict(
        source="cli-error",
        exc_type=f"Error{text}",
        message=f"message {text}",
        frames=[frame],
        chain=[ChainedException(f"Cause{text}", f"cause {text}", [frame], "cause")],
        traceback_text=f"Traceback\n{text}\n",
        logs=[f"log {text}", text],
        argv=["/srv/app.py", text],
        cwd=f"/srv/{text}",
        runtime={"implementation": f"CPython {text}", "version": text},
        platform=f"Linux {text}",
        packages={text: text},
        env={"LANG": text},
        context={"tool": text, "arguments": {"q": text}},
        timestamp="2026-01-01T00:00:00Z",
        trace_id="cd" * 16,
        fingerprint="ab" * 16,
        run_url=f"https://ci.example/{text}",
    )
    return Report(**{**fields, **changes})


class Rendered(HTMLParser):
    """What GitHub would show: tags, comments, and the text outside <code>/<pre>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.comments: list[str] = []
        self.text: list[str] = []
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        self._code += tag in ("code", "pre")

    def handle_endtag(self, tag: str) -> None:
        self._code -= tag in ("code", "pre")

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        if not self._code:
            self.text.append(data)


def render(markdown: str) -> Rendered:
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    seen = Rendered()
    seen.feed(html)
    return seen


def assert_inert(markdown: str) -> None:
    seen = render(markdown)
    assert set(seen.tags) <= ALLOWED_TAGS, set(seen.tags) - ALLOWED_TAGS
    assert all(
        re.fullmatch(r" autoheal:(fingerprint=[0-9a-f]*|report|occurrence trace=[0-9a-f]*) ", c) for c in seen.comments
    )
    live = [m.group(0) for m in LIVE_TEXT.finditer(" ".join(seen.text))]
    assert live == [], live


@pytest.mark.parametrize("text", HOSTILE)
def test_crash_text_in_every_field_is_inert(text: str):
    report = hostile_report(text)
    assert_inert(render_body(report))
    assert_inert(render_occurrence(report, 2, reopened=True))


@pytest.mark.parametrize("text", HOSTILE)
def test_titles_are_inert_and_within_the_limit(text: str):
    title = hostile_report(text * 50).title
    assert size(title) <= TITLE_LIMIT and "\n" not in title
    assert not re.search(r"[@#][A-Za-z0-9]|GH-\d", title)


def test_a_title_of_wide_characters_stays_within_the_limit():
    assert size(hostile_report("\U0001f600" * 400).title) <= TITLE_LIMIT


def huge_report() -> Report:
    """Every field at its cap, through the real scrub step (which caps)."""
    big = "x" * 20_000 + " ```` @octocat #1 "
    frames = [Frame(f"m{i}", f"f{i}", "/srv/" + "d/" * 400 + f"{i}.py", i, True, big) for i in range(500)]
    report = hostile_report(
        big,
        message=big * 500,
        frames=frames,
        chain=[ChainedException(f"E{i}", big * 5, frames, "cause") for i in range(30)],
        traceback_text=big * 100,
        logs=[big for _ in range(2000)],
        argv=[big] * 300,
        context={f"k{i}": {"v": [big] * 200} for i in range(200)},
        packages={f"p{i}": big for i in range(500)},
    )
    return prepare(report, Scrubber())


def test_bodies_stay_within_the_limit_with_the_block_whole():
    report = huge_report()
    body = render_body(report)
    assert size(body) <= BODY_LIMIT
    data = parse_issue_body(body)
    assert data is not None and data["fingerprint"] == report.fingerprint and data["trace_id"] == report.trace_id
    assert data["exc_type"] == report.exc_type and data["frames"]
    assert_inert(body)


def test_small_limits_keep_the_block_valid():
    report = huge_report()
    for limit in (60_000, 40_000, 30_000):
        body = render_body(report, limit)
        assert size(body) <= limit and parse_issue_body(body) is not None


@pytest.mark.parametrize("where", ["message", "traceback_text", "logs", "context", "argv", "cwd"])
def test_look_alike_blocks_anywhere_in_the_crash_are_never_read(where: str):
    for fake in (FAKE_BLOCK, f"<!-- {FAKE_BLOCK} -->", f"```\n{FAKE_BLOCK}\n```", FAKE_BLOCK.replace("\n", "\r\n")):
        value = {"logs": [fake], "context": {"x": fake}, "argv": ["/srv/app.py", fake]}.get(where, fake)
        report = hostile_report("plain", **{where: value})
        data = parse_issue_body(render_body(report))
        assert data is not None and data["exc_type"] == "Errorplain" and data["argv"] == report.argv


def test_only_the_body_autoheal_wrote_is_read():
    body = render_body(hostile_report("plain"))
    assert parse_issue_body(body)["exc_type"] == "Errorplain"
    assert parse_issue_body(body.replace("\n", "\r\n"))["exc_type"] == "Errorplain"  # edited on the web
    other = FAKE_BLOCK.replace("ab" * 16, "ef" * 16)
    assert parse_issue_body(body + "\nappended by someone" + other) is None  # its fingerprint is not the body's
    assert parse_issue_body(body + "\nappended by someone") is None  # the block is not last
    assert parse_issue_body("a human issue" + FAKE_BLOCK) is None
    assert parse_issue_body(f"<!-- autoheal:fingerprint={'ab' * 16} -->\n" + FAKE_BLOCK) is not None  # the shape
    assert parse_issue_body("just a human issue") is None
    assert (
        parse_issue_body(f"<!-- autoheal:fingerprint={'ab' * 16} -->\n{REPORT_MARKER}\n```json\n{{broken\n```") is None
    )


def test_reports_from_the_public_endpoint_are_data_never_run(tmp_path):
    js = prepare(to_report({"name": "TypeError", "message": "x", "stack": ""}), Scrubber())
    data = parse_issue_body(render_body(js))
    assert data["provenance"] == PUBLIC_ENDPOINT
    forged = json.loads(json.dumps(data))
    forged.update(provenance=LOCAL)  # a JS client cannot set it, and js-error is public whatever the block says
    body = render_body(Report(**{k: v for k, v in forged.items() if k != "schema"} | {"frames": [], "chain": []}))
    assert parse_issue_body(body)["provenance"] == PUBLIC_ENDPOINT
    local = prepare(hostile_report("plain"), Scrubber())
    assert parse_issue_body(render_body(local))["provenance"] == LOCAL and runnable(local)
    script = tmp_path / "app.py"
    script.write_text("raise SystemExit(1)\n")
    untrusted = Report(**{**local.__dict__, "source": "js-error", "argv": [str(script)], "cwd": str(tmp_path)})
    assert not runnable(untrusted) and "never a command to run" in str(reproduction(untrusted, tmp_path))
