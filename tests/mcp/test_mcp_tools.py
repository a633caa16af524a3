"""A real MCP client session against an instrumented server: crashing tools file issues, clients see no change."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import inventory_server  # beside this file; pytest puts this directory on sys.path
from endpoint.hubenv import ROOT, autoheal_hub, wait_for_issues
from mcp import Client, StdioServerParameters
from mcp.server.mcpserver import Context, MCPServer

from autoheal import mcp as autoheal_mcp

TOKEN = "ghp_" + "Q" * 36


async def _calls(client: Client) -> list[tuple[bool, str]]:
    """The same three calls for every server: a sync crash, an async crash, a deliberate ToolError."""
    results = [
        await client.call_tool("lookup_sku", {"sku": "sku-404", "api_token": TOKEN}),
        await client.call_tool("reserve", {"sku": "sku-1", "quantity": 0}),
        await client.call_tool("reserve", {"sku": "nope", "quantity": 1}),
    ]
    return [(r.is_error, r.content[0].text) for r in results]


def _in_memory(with_autoheal: bool) -> list[tuple[bool, str]]:
    async def run() -> list[tuple[bool, str]]:
        async with Client(inventory_server.build(with_autoheal), mode="legacy") as client:
            return await _calls(client)

    return anyio.run(run)


def test_stdio_session_files_scrubbed_issues_and_the_client_sees_the_usual_errors(tmp_path):
    with autoheal_hub(tmp_path) as (hub, env):
        params = StdioServerParameters(
            command=sys.executable,
            args=[str(Path(inventory_server.__file__))],
            cwd=str(ROOT),
            env={**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])},
        )

        async def run() -> list[tuple[bool, str]]:
            async with Client(params, mode="legacy") as client:
                return await _calls(client)

        seen = anyio.run(run)
        found = wait_for_issues(hub, 2)
    assert seen == _in_memory(with_autoheal=False), "exactly what the client would see without autoheal"
    assert [error for error, _ in seen] == [True, True, True]
    by_title = {issue.title.split(":")[0]: issue for issue in found}
    assert set(by_title) == {"KeyError", "ZeroDivisionError"}, "the deliberate ToolError files nothing"
    sync_issue, async_issue = by_title["KeyError"], by_title["ZeroDivisionError"]
    for issue in found:
        assert {"auto-heal", "mcp-tool"} <= set(issue.labels)
        assert '"server": "inventory"' in issue.body
        assert TOKEN not in issue.body
    assert '"tool": "lookup_sku"' in sync_issue.body and '"sku": "sku-404"' in sync_issue.body
    assert '"api_token": "[REDACTED]"' in sync_issue.body
    assert '"tool": "reserve"' in async_issue.body and '"quantity": 0' in async_issue.body
    assert '"request_id": "' in sync_issue.body and '"request_id": "' in async_issue.body


def test_instrumented_and_plain_servers_answer_identically_in_memory(monkeypatch):
    filed: list[tuple[BaseException, dict]] = []
    monkeypatch.setattr("autoheal.mcp._file", filed.append)
    assert _in_memory(with_autoheal=True) == _in_memory(with_autoheal=False)
    assert autoheal_mcp.drain(5)
    assert [(type(exc).__name__, ctx["tool"]) for exc, ctx in filed] == [
        ("KeyError", "lookup_sku"),
        ("ZeroDivisionError", "reserve"),
    ]
    assert all(ctx["request_id"] for _, ctx in filed), "request ids reach sync (thread) and async tools"


def test_the_decorator_alone_reports_with_the_request_id_of_a_context_argument(monkeypatch):
    filed: list[tuple[BaseException, dict]] = []
    monkeypatch.setattr("autoheal.mcp._file", filed.append)
    server = MCPServer("billing")

    @server.tool()
    @autoheal_mcp.report_errors(server="billing")
    async def refund(order: str, ctx: Context) -> str:
        raise LookupError(order)

    async def run() -> tuple[bool, str]:
        async with Client(server, mode="legacy") as client:
            result = await client.call_tool("refund", {"order": "o-1"})
            return result.is_error, result.content[0].text

    assert anyio.run(run) == (True, "Error executing tool refund")
    assert autoheal_mcp.drain(5)
    ((exc, context),) = filed
    assert isinstance(exc, LookupError)
    assert context["tool"] == "refund" and context["server"] == "billing"
    assert context["arguments"] == {"order": "o-1"}
    assert context["request_id"]
