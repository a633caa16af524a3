"""Start-up half of the hook, run by the venv's `.pth` file in every interpreter.

`autoheal install` copies this file to site-packages as `_autoheal_boot.py`
and the rest of autoheal (with urllib3 and platformdirs) to `_autoheal_lib/`.
At start-up it only chains `sys.excepthook` and arranges for two more hooks
to be set the moment the program itself imports `threading` (its excepthook)
and `logging` (the log ring buffer); nothing else is imported until a crash.
"""

import os
import sys

_LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_autoheal_lib")
_OFF = ("0", "false", "no", "off")
_busy = set()  # thread ids inside autoheal: an error there must not be reported again


def install():
    if os.environ.get("AUTOHEAL_ENABLED", "").strip().lower() in _OFF:
        return
    if getattr(sys.excepthook, "autoheal", False):
        return
    sys.excepthook = _chained_excepthook(sys.excepthook)
    after_import = {"threading": _chain_threading, "logging": _record_logs}
    for name in list(after_import):
        if name in sys.modules:
            after_import.pop(name)(sys.modules[name])
    if after_import:
        sys.meta_path.insert(0, _AfterImport(after_import))


def _chained_excepthook(previous):
    def excepthook(exc_type, exc, tb):
        try:
            previous(exc_type, exc, tb)  # the user's traceback first, unchanged
        finally:
            _run("autoheal.hooks.excepthook", "handle", exc_type, exc, tb)

    excepthook.autoheal = True
    return excepthook


def _chain_threading(threading):
    previous = threading.excepthook

    def excepthook(args):
        try:
            previous(args)
        finally:
            _run("autoheal.hooks.threads", "handle", args)

    excepthook.autoheal = True
    threading.excepthook = excepthook


def _record_logs(logging):
    _run("autoheal.logbuffer", "attach")


def _run(module, function, *args):
    """Call autoheal code; whatever goes wrong in it stays here."""
    import _thread

    me = _thread.get_ident()
    if me in _busy:
        return
    _busy.add(me)
    try:
        # Appended, so the program's own copies of these packages keep priority.
        if os.path.isdir(_LIB) and _LIB not in sys.path:
            sys.path.append(_LIB)
        getattr(__import__(module, fromlist=[function]), function)(*args)
    except BaseException:
        pass
    finally:
        _busy.discard(me)


class _AfterImport:
    """Meta-path finder that runs a callback right after a watched module is first imported."""

    def __init__(self, callbacks):
        self.callbacks = callbacks

    def find_spec(self, name, path=None, target=None):
        if name not in self.callbacks:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if finder is not self and find else None
            if spec is not None and spec.loader is not None:
                spec.loader = _LoadThen(spec.loader, self.callbacks.pop(name))
                if not self.callbacks:
                    sys.meta_path.remove(self)
                return spec
        return None


class _LoadThen:
    """Wraps a loader: load the module as usual, then hand it to the callback."""

    def __init__(self, loader, callback):
        self.loader = loader
        self.callback = callback

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        self.callback(module)

    def __getattr__(self, name):
        return getattr(self.loader, name)
