# autoheal start-up hook (install.MARKER): installed by `autoheal install`, removed by `autoheal uninstall`.
"""Start-up half of the hook, run in every interpreter of the venv: by the `.pth` line `import _autoheal_boot`,
or, installed with `--sitecustomize`, as the venv's `sitecustomize.py`.

`autoheal install` copies this file to site-packages (as `_autoheal_boot.py` or
`sitecustomize.py`) and the rest of autoheal (with urllib3 and platformdirs) to `_autoheal_lib/`.
At start-up it only chains `sys.excepthook` and `sys.unraisablehook`, and arranges for
an exit check (for a host that replaces sys.excepthook later) to be registered at the
program's first import, and for more hooks to be set the moment the program itself
imports `threading` (its excepthook), `logging` (the log ring buffer), `asyncio` (the
loop's exception handler) and `multiprocessing` (children's crashes); nothing else is
imported until a crash.

Importing the module installs the hook, so the `.pth` line is a bare import:
`site` compiles that line at every start-up, twice in a venv. As `sitecustomize`
the module costs less: `site` searches for that name anyway, and there is no line
to compile. Every interpreter also pays for loading this module, so it is kept small:
the module is its own meta-path finder, and the one class it needs is made only when
a watched module is imported (making a class costs more than loading the rest). No
global refers to `os`: the chained excepthook keeps these globals alive to the end,
and a live `os` makes finalization clear os, posixpath and stat one name at a time.
"""

import sys

TYPE_CHECKING = False  # types are in comments: annotations would cost every interpreter of the venv
if TYPE_CHECKING:  # used in the type comments, which ruff does not read
    from collections.abc import Callable  # noqa: F401
    from importlib.machinery import ModuleSpec  # noqa: F401
    from typing import Any  # noqa: F401

_OFF = ("0", "false", "no", "off")
_busy = set()  # type: set[int]  # thread ids inside autoheal: an error there must not be reported again
_after_import = {}  # type: dict[str, Callable[[Any], None]]  # module name -> callback, run once it is imported
_exit_check = [True]  # type: list[bool]  # until the first import registers it (see find_spec)
_SITE_IMPORTS = ("sitecustomize", "usercustomize")  # what `site` itself imports after the .pth files
_me = sys.modules[__name__]  # the meta-path finder; as `sitecustomize` it hands that name to the chained one


def install():
    # type: () -> None
    import os

    if os.environ.get("AUTOHEAL_ENABLED", "").strip().lower() in _OFF:
        return
    if getattr(sys.excepthook, "autoheal", False):
        return
    sys.excepthook = _chained(sys.excepthook, "autoheal.hooks.excepthook")
    sys.unraisablehook = _chained(sys.unraisablehook, "autoheal.hooks.unraisable")
    for name, callback in (
        ("threading", _chain_threading),
        ("logging", _record_logs),
        ("asyncio.base_events", _chain_asyncio),
        ("multiprocessing.process", _chain_processes),
    ):
        if name in sys.modules:
            callback(sys.modules[name])
        else:
            _after_import[name] = callback
    sys.meta_path.insert(0, _me)  # also registers the exit check, at the program's first import


def _chained(previous, module):
    # type: (Callable[..., Any], str) -> Callable[..., None]
    """A hook that calls `previous` (the user's traceback first, unchanged), then autoheal's `module`.handle."""

    def hook(*args):
        # type: (*Any) -> None
        try:
            previous(*args)
        finally:
            _run(module, "handle", *args)

    hook.autoheal = True  # type: ignore[attr-defined]
    return hook


def _chain_threading(threading):
    # type: (Any) -> None
    threading.excepthook = _chained(threading.excepthook, "autoheal.hooks.threads")


def _record_logs(logging):
    # type: (Any) -> None
    _run("autoheal.logbuffer", "attach")


def _unseen_at_exit():
    # type: () -> None
    """The uncaught exception Python recorded, if a replaced sys.excepthook kept it from ours."""
    exc = getattr(sys, "last_value", None)
    if exc is not None and not getattr(exc, "__autoheal_reported__", False):
        _run("autoheal.hooks.excepthook", "handle_unseen", exc)


def _chain_asyncio(base_events):
    # type: (Any) -> None
    loop = base_events.BaseEventLoop
    handler = loop.default_exception_handler

    def default_exception_handler(self, context):
        # type: (Any, dict[str, Any]) -> None
        try:
            handler(self, context)
        finally:
            _run("autoheal.hooks.loops", "handle", context)

    loop.default_exception_handler = default_exception_handler


def _chain_processes(process):
    # type: (Any) -> None
    """multiprocessing catches a child's exception itself: see it in run(), report it once it is printed."""
    bootstrap = process.BaseProcess._bootstrap

    def _bootstrap(self, *args, **kwargs):
        # type: (Any, *Any, **Any) -> Any
        failed = []  # type: list[BaseException]
        run = self.run

        def watched_run():
            # type: () -> None
            try:
                run()
            except BaseException as exc:
                failed.append(exc)
                raise

        self.run = watched_run
        try:
            return bootstrap(self, *args, **kwargs)
        finally:
            if failed:
                _run("autoheal.hooks.processes", "handle", failed[0], self.name)

    process.BaseProcess._bootstrap = _bootstrap


def _run(module, function, *args):
    # type: (str, str, *Any) -> None
    """Call autoheal code; whatever goes wrong in it stays here."""
    import _thread
    import os

    me = _thread.get_ident()
    if me in _busy:
        return
    _busy.add(me)
    try:
        # Appended, so the program's own copies of these packages keep priority.
        lib = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_autoheal_lib")
        if os.path.isdir(lib) and lib not in sys.path:
            sys.path.append(lib)
        getattr(__import__(module, fromlist=[function]), function)(*args)
    except BaseException:
        pass
    finally:
        _busy.discard(me)


def find_spec(name, path=None, target=None):
    # type: (str, Any, Any) -> Any
    """Meta-path finder protocol (this module is on sys.meta_path): catch a watched module's import.

    The first import of the program also registers the exit check: only code that was imported can replace
    sys.excepthook behind our back, and `python -c pass` pays nothing for the atexit module.
    """
    if _exit_check and name not in _SITE_IMPORTS:
        _exit_check.clear()
        import atexit

        atexit.register(_unseen_at_exit)  # early, so it runs after the program's own exit callbacks
    if name not in _after_import:
        return None
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        spec = find(name, path, target) if finder is not _me and find else None
        if spec is not None and spec.loader is not None:
            spec.loader = _load_then(spec.loader, _after_import.pop(name))
            if not _after_import and _me in sys.meta_path:
                sys.meta_path.remove(_me)
            return spec
    return None


def _load_then(loader, callback):
    # type: (Any, Callable[[Any], None]) -> Any
    """Wrap a loader: load the module as usual, then hand it to the callback."""

    class LoadThen:
        def create_module(self, spec):
            # type: (ModuleSpec) -> Any
            return loader.create_module(spec)

        def exec_module(self, module):
            # type: (Any) -> None
            module.__loader__ = module.__spec__.loader = loader
            loader.exec_module(module)
            callback(module)

        def __getattr__(self, name):
            # type: (str) -> Any
            return getattr(loader, name)

    return LoadThen()


def _chain_sitecustomize():
    # type: () -> None
    """Run the sitecustomize that `import sitecustomize` would have found without autoheal, as `sitecustomize`.

    It runs under its own name, so its globals, `import sitecustomize` and its errors (which `site`
    prints) stay as they were; the hook is installed after it, so it chains to hooks the module sets.
    """
    # importlib.util's own function, without the imports importlib.util would cost
    from _frozen_importlib import module_from_spec

    spec = _find_chained()
    if spec is not None and spec.loader is not None:
        sys.modules[__name__] = module = module_from_spec(spec)
        spec.loader.exec_module(module)


def _find_chained():
    # type: () -> ModuleSpec | None
    """The venv's own sitecustomize.py (install.CHAINED keeps it), else the next one along sys.path; or None.

    Earlier sys.path entries have none, or `site` would have imported that one instead of this module.
    """
    import os
    from _frozen_importlib_external import PathFinder, spec_from_file_location

    here = os.path.dirname(__file__)
    kept = os.path.join(here, "_autoheal_chained_sitecustomize.py")
    if os.path.exists(kept):
        return spec_from_file_location(__name__, kept)
    if here in sys.path:
        return PathFinder.find_spec(__name__, sys.path[sys.path.index(here) + 1 :])
    return None


try:
    if __name__ == "sitecustomize":
        _chain_sitecustomize()  # its errors go on to `site`, as they would without autoheal
finally:
    try:
        install()
    except Exception:  # an error raised here would make `site` print it at every start-up
        pass
