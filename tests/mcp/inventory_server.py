"""A small MCP server with two buggy tools, instrumented by autoheal; run over stdio by the tests."""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from autoheal.mcp import instrument

STOCK = {"sku-1": 3}


def build(with_autoheal: bool = True) -> MCPServer:
    server = MCPServer("inventory")

    @server.tool()
    def lookup_sku(sku: str, api_token: str) -> int:
        """Sync tool: a KeyError for an unknown SKU is a bug (it should be a ToolError)."""
        return STOCK[sku]

    if with_autoheal:
        instrument(server)  # tools registered before and after this call are both covered

    @server.tool()
    async def reserve(sku: str, quantity: int, ctx: Context) -> str:
        """Async tool: the division crashes for quantity 0."""
        if sku not in STOCK:
            raise ToolError(f"no such SKU {sku}")  # a deliberate answer to the client, not a crash
        return f"{STOCK[sku] // quantity} batches"

    return server


if __name__ == "__main__":
    build().run("stdio")
