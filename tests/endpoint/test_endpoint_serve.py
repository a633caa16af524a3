"""The server around the app: what it accepted before SIGTERM is still filed; its connection cap holds."""

from __future__ import annotations

import json
import socket
import threading

import urllib3
from endpoint.hubenv import autoheal_hub, endpoint, issues, wait_until
from endpoint.rig import VALID

from autoheal.endpoint import ClientErrorApp, Settings
from autoheal.endpoint.server import MAX_CONNECTIONS, make_wsgi_server
from autoheal.endpoint.settings import REPORT_PATH


def test_reports_accepted_before_sigterm_are_filed(tmp_path):
    with autoheal_hub(tmp_path) as (hub, env):
        with endpoint({**env, "AUTOHEAL_TIMEOUT": "20"}) as served:  # generous: CI machines can be busy
            http = urllib3.PoolManager(retries=False, timeout=10)
            for i in range(3):
                report = dict(
                    VALID, name=f"Error{i}", stack=f"Error{i}: x\n    at step{i} (https://a.example/app.js:1:1)"
                )
                reply = http.request(
                    "POST",
                    served.url + REPORT_PATH,
                    body=json.dumps(report),
                    headers={"Content-Type": "application/json"},
                )
                assert reply.status == 202
        # leaving `endpoint` sent SIGTERM and waited for the process to exit
        assert sorted(issue.title for issue in issues(hub)) == [
            "Error0: x is undefined",
            "Error1: x is undefined",
            "Error2: x is undefined",
        ]


def test_connections_beyond_the_cap_are_turned_away_at_once_and_slots_come_back():
    app = ClientErrorApp(Settings(), lambda report: True)
    with make_wsgi_server("127.0.0.1", 0, app) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        address = server.server_address[:2]
        idle = [socket.create_connection(address) for _ in range(MAX_CONNECTIONS)]  # slow clients, saying nothing
        try:
            # Accepted in order: the idle ones take every slot before this one is looked at, however busy.
            with socket.create_connection(address, timeout=30) as extra:
                assert extra.recv(64).startswith(b"HTTP/1.0 429 Too Many Requests")
        finally:
            for sock in idle:
                sock.close()
        http = urllib3.PoolManager(retries=False, timeout=5)
        url = f"http://{address[0]}:{address[1]}/healthz"
        assert wait_until(lambda: http.request("GET", url).status == 200, 30), "slots never came back"
        server.shutdown()
