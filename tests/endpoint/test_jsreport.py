"""JS stacks to frames, and the fingerprint's view of them: function + file basename only."""

from __future__ import annotations

from autoheal.fingerprint import fingerprint
from autoheal.jsreport import SOURCE, js_frame_key, parse_stack, to_report

CHROME = """TypeError: Cannot read properties of undefined (reading 'id')
    at renderCart (https://shop.example/static/app.js?v=41&token=abc:120:17)
    at async Cart.load (https://shop.example/static/app.js?v=41:88:5)
    at new Widget (https://shop.example/static/widget.js#x:3:4)
    at https://shop.example/static/boot.js:1:2
    at Array.map (<anonymous>)
    at listOnTimeout (node:internal/timers:581:17)
    at lib (https://shop.example/node_modules/lib/index.js:9:9)"""
FIREFOX = """renderCart@https://shop.example/static/app.js?v=41:120:17
Cart.load@https://shop.example/static/app.js:88:5
@https://shop.example/static/boot.js:1:2"""


def test_v8_frames_outermost_first_without_queries():
    frames = parse_stack(CHROME)
    assert [js_frame_key(f) for f in frames] == [
        "lib@index.js",
        "listOnTimeout@timers",
        "Array.map@<anonymous>",
        "<anonymous>@boot.js",
        "Widget@widget.js",
        "Cart.load@app.js",
        "renderCart@app.js",
    ]
    inner = frames[-1]
    assert (inner.filename, inner.lineno, inner.module) == ("https://shop.example/static/app.js", 120, "app.js")
    assert [f.in_app for f in frames] == [False, False, False, True, True, True, True]


def test_gecko_frames():
    assert [js_frame_key(f) for f in parse_stack(FIREFOX)] == [
        "<anonymous>@boot.js",
        "Cart.load@app.js",
        "renderCart@app.js",
    ]


def test_node_alias_is_dropped():
    (frame,) = parse_stack("    at Timeout.boom [as _onTimeout] (/srv/app/crash.js:1:24)")
    assert js_frame_key(frame) == "Timeout.boom@crash.js"


def _print(line: int, version: str, host: str = "shop.example") -> list:
    return parse_stack(
        f"    at renderCart (https://{host}/static/app.js?v={version}:{line}:17)\n"
        f"    at main (https://{host}/static/boot.js:{line + 5}:1)"
    )


def test_fingerprint_ignores_lines_columns_queries_and_hosts():
    one = fingerprint("TypeError", _print(120, "41"), "x 1", frame_key=js_frame_key)
    assert one == fingerprint("TypeError", _print(300, "42", "cdn.example"), "x 2", frame_key=js_frame_key)
    other = parse_stack("    at renderList (https://shop.example/static/app.js:1:1)")
    assert one != fingerprint("TypeError", other, "x 1", frame_key=js_frame_key)


def test_to_report_carries_what_the_snippet_captured():
    report = to_report(
        {
            "name": "RangeError",
            "message": "bad",
            "stack": CHROME,
            "runtime": "node",
            "kind": "manual",
            "userAgent": "Node.js v20",
            "platform": "linux x64",
            "url": "file:app.js",
            "tool": "charge",
            "params": {"amount": 3},
            "retries": 2,
            "context": {"screen": "cart"},
        }
    )
    assert report.source == SOURCE == "js-error"
    assert (report.exc_type, report.message, report.platform) == ("RangeError", "bad", "linux x64")
    assert report.runtime == {"implementation": "node", "version": "Node.js v20"}
    assert report.context == {
        "kind": "manual",
        "url": "file:app.js",
        "userAgent": "Node.js v20",
        "tool": "charge",
        "params": {"amount": 3},
        "retries": 2,
        "screen": "cart",
    }
    assert report.traceback_text == CHROME
    assert len(report.frames) == 7 and report.trace_id and report.timestamp
