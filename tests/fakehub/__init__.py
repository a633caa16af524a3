"""A GitHub emulator (REST + GraphQL, HTTP or HTTPS) that the real gh CLI talks to, for tests."""

from .hub import FakeHub

__all__ = ["FakeHub"]
