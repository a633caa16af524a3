"""autoheal: uncaught errors become scrubbed, fingerprinted GitHub issues.

`autoheal.capture_exception(exc)` and `autoheal.reporting()` (`autoheal.api`) report errors a program
handles itself; they load on first use, so the start-up hook, which imports this package, pays nothing.
"""

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .api import capture_exception as capture_exception
    from .api import reporting as reporting


def __getattr__(name: str) -> object:
    if name in ("capture_exception", "reporting"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'autoheal' has no attribute {name!r}")


__all__ = ["__version__", "capture_exception", "reporting"]
