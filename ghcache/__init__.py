"""ghcache: a `gh` shim that answers read commands from a tiered cache."""

__version__ = "0.1.0"
