"""A real headless Chromium loads a page from loopback; its uncaught error and rejection become issues."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser.cdp import Chromium
from endpoint.hubenv import ROOT, autoheal_hub, endpoint, wait_for_issues

PAGE = Path(__file__).parent / "page"
SECRET = "s3ss10n-s3cr3t"


@contextmanager
def page_server(settings: dict[str, str]) -> Iterator[str]:
    """Serves the page, its app.js and the snippet from the repository, on its own loopback port.

    The page reads settings["endpoint"] when it is requested: the endpoint can only start once it
    knows this server's origin, which it must allow.
    """
    files = {
        "/": ("text/html", lambda: (PAGE / "index.html").read_text().replace("{{ENDPOINT}}", settings["endpoint"])),
        "/app.js": ("text/javascript", (PAGE / "app.js").read_text),
        "/autoheal.js": ("text/javascript", (ROOT / "shims" / "autoheal.js").read_text),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ctype, read = files.get(self.path.split("?")[0], ("text/plain", str))
            body = read().encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Chromium]:
    browser = Chromium(tmp_path / "profile")
    yield browser
    browser.close()


@pytest.mark.slow
def test_page_error_and_rejection_become_two_issues(tmp_path, chromium):
    settings: dict[str, str] = {}
    with autoheal_hub(tmp_path) as (hub, env), page_server(settings) as page_url:
        allowed = {**env, "AUTOHEAL_ALLOWED_ORIGINS": page_url, "AUTOHEAL_INGEST_KEY": "pub-browser-key"}
        with endpoint(allowed) as served:
            settings["endpoint"] = served.url
            session = chromium.open(page_url + "/")
            assert chromium.evaluate(session, "new Promise(r => setTimeout(() => r(window.appLoaded), 500))") is True
            assert chromium.evaluate(session, "typeof window.autoheal.report") == "function"
            found = wait_for_issues(hub, 2)
    titles = sorted(issue.title for issue in found)
    assert len(found) == 2, titles
    assert titles[0].startswith("Error: profile service returned 503")
    assert titles[1].startswith("TypeError: Cannot read properties of undefined")
    for issue in found:
        assert {"auto-heal", "js-error"} <= set(issue.labels)
        assert SECRET not in issue.body and "pub-browser-key" not in issue.body
        assert "HeadlessChrome" in issue.body
        assert f"{page_url}/" in issue.body, "the page URL, without query or fragment"
    bodies = "\n".join(issue.body for issue in found)
    assert "renderCart" in bodies and "loadProfile" in bodies and "app.js" in bodies
