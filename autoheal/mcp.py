"""autoheal for MCP servers (the official SDK's MCPServer, formerly FastMCP): a crashing tool becomes an issue.

The error still reaches the client exactly as it would without autoheal: the wrapper re-raises the same
exception object, and the SDK turns it into the usual tool error. Reporting is queued for a background
worker, so the server's event loop never waits on GitHub.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError

from autoheal.caps import cap_text
from autoheal.handoff import Handoff

SOURCE = "mcp-tool"
MAX_ARG_CHARS = 500
# Deliberate signals to the client (bad input, protocol errors), not crashes.
EXPECTED = (ToolError, MCPError)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Call:
    request_id: str | None
    server: str | None


_current: ContextVar[_Call | None] = ContextVar("autoheal_mcp_call", default=None)
# Looked up at call time, so the worker (its thread starts on the first report) always files through `_file`.
_worker: Handoff[tuple[BaseException, dict[str, Any]]] = Handoff(lambda item: _file(item))


def report_errors(fn: F | None = None, *, name: str | None = None, server: str | None = None) -> Any:
    """Decorate a tool handler (sync or async): an unexpected exception is reported, then re-raised.

    Use it under `@server.tool()`, or let `instrument(server)` apply it to every tool.
    """

    def decorate(func: F) -> F:
        tool = name or func.__name__
        signature = inspect.signature(func)

        def report(exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            if not isinstance(exc, EXPECTED):
                _enqueue(exc, tool, server, signature, args, kwargs)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await func(*args, **kwargs)
                except Exception as exc:
                    report(exc, args, kwargs)
                    raise

            wrapper: Any = async_wrapper
        else:

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    return func(*args, **kwargs)
                except Exception as exc:
                    report(exc, args, kwargs)
                    raise

        wrapper.__autoheal_wrapped__ = True
        return cast(F, wrapper)

    return decorate(fn) if fn is not None else decorate


def instrument(server: Any) -> Any:
    """Report errors of every tool of `server`, registered before or after this call, with request ids."""
    if getattr(server, "__autoheal_instrumented__", False):
        return server
    for tool in server._tool_manager.list_tools():
        if not getattr(tool.fn, "__autoheal_wrapped__", False):
            tool.fn = report_errors(tool.fn, name=tool.name, server=server.name)
    add_tool, call_tool = server.add_tool, server.call_tool

    @functools.wraps(add_tool)
    def add_wrapped_tool(fn: Callable[..., Any], name: str | None = None, **options: Any) -> Any:
        if not getattr(fn, "__autoheal_wrapped__", False):
            fn = report_errors(fn, name=name or fn.__name__, server=server.name)
        return add_tool(fn, name=name, **options)

    @functools.wraps(call_tool)
    async def call_tool_in_context(name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        token = _current.set(_Call(_request_id(context), server.name))
        try:
            return await call_tool(name, arguments, context)
        finally:
            _current.reset(token)

    server.add_tool, server.call_tool = add_wrapped_tool, call_tool_in_context
    server.__autoheal_instrumented__ = True
    return server


def _enqueue(
    exc: Exception,
    tool: str,
    server: str | None,
    signature: inspect.Signature,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """Cheap and non-blocking: bind the arguments now, capture and send on the worker."""
    try:
        call = _current.get() or _Call(None, None)
        bound = _bind(signature, args, kwargs)
        contexts = [value for value in bound.values() if isinstance(value, Context)]
        context = {
            "tool": tool,
            "arguments": {k: _plain(v) for k, v in bound.items() if not isinstance(v, Context)},
            "request_id": _request_id(contexts[0]) if contexts else call.request_id,
            "server": server or call.server,
        }
        _worker.offer((exc, context))
    except Exception:  # reporting must never change what the tool raises
        pass


def _file(item: tuple[BaseException, dict[str, Any]]) -> None:
    from autoheal import pipeline
    from autoheal.capture import capture_exception

    exc, context = item
    pipeline.submit(capture_exception(exc, source=SOURCE, context=context))


def drain(timeout: float = 3.0) -> bool:
    """Wait for queued reports (tests, orderly shutdown); at exit this happens on its own."""
    return _worker.drain(timeout)


def _bind(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(signature.bind_partial(*args, **kwargs).arguments)
    except TypeError:
        return {**{f"arg{i}": a for i, a in enumerate(args)}, **kwargs}


def _plain(value: Any, depth: int = 4) -> Any:
    """JSON-safe and bounded; the pipeline's scrubber then masks secret names and values."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return cap_text(value, MAX_ARG_CHARS)  # never half a token: the scrubber could not recognise it
    if isinstance(value, dict) and len(value) <= 50 and depth:
        return {str(k)[:100]: _plain(v, depth - 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and len(value) <= 50 and depth:
        return [_plain(v, depth - 1) for v in value]
    try:
        return cap_text(repr(value), MAX_ARG_CHARS)
    except Exception:
        return f"<{type(value).__name__}>"


def _request_id(context: Any) -> str | None:
    try:
        return None if context is None else str(context.request_id)
    except Exception:  # a Context outside a request has no id
        return None
