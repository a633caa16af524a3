"""ghcache: a `gh` shim that answers read commands from a tiered cache.

`from ghcache import GHCache` is the Python API (`ghcache.api`); it is imported on first use only, so the
shim's hot path, which imports this package, pays nothing for it.
"""

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .api import GHCache as GHCache


def __getattr__(name: str) -> object:
    if name == "GHCache":
        from .api import GHCache

        return GHCache
    raise AttributeError(f"module 'ghcache' has no attribute {name!r}")


__all__ = ["GHCache", "__version__"]

from .bundle import install as _install_bundle  # noqa: E402  (after the module's own names)

_install_bundle(__name__, __path__[0])
