"""A third-party module the code imports is not installed: declare the distribution that provides it."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from autoheal.report import Report

from .. import deps
from ..crash import exception_types
from .fix import Fix

# Import names whose distribution is named differently; used when the metadata of this interpreter has no answer.
KNOWN = {
    "yaml": "PyYAML",
    "cv2": "opencv-python",
    "PIL": "Pillow",
    "sklearn": "scikit-learn",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "PyJWT",
    "magic": "python-magic",
    "serial": "pyserial",
    "usb": "pyusb",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyOpenSSL",
    "MySQLdb": "mysqlclient",
    "psycopg2": "psycopg2-binary",
    "git": "GitPython",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "PyMuPDF",
    "skimage": "scikit-image",
    "google.protobuf": "protobuf",
    "attr": "attrs",
    "lxml": "lxml",
    "jose": "python-jose",
    "slugify": "python-slugify",
    "telegram": "python-telegram-bot",
    "discord": "discord.py",
    "Levenshtein": "python-Levenshtein",
    "requests": "requests",
    "numpy": "numpy",
    "pandas": "pandas",
    "scipy": "scipy",
    "matplotlib": "matplotlib",
    "flask": "Flask",
    "django": "Django",
    "fastapi": "fastapi",
    "click": "click",
    "rich": "rich",
    "httpx": "httpx",
    "aiohttp": "aiohttp",
    "boto3": "boto3",
    "redis": "redis",
    "pymongo": "pymongo",
    "sqlalchemy": "SQLAlchemy",
    "jinja2": "Jinja2",
    "markdown": "Markdown",
    "toml": "toml",
    "tqdm": "tqdm",
    "pydantic": "pydantic",
    "psutil": "psutil",
    "paramiko": "paramiko",
    "zmq": "pyzmq",
    "websocket": "websocket-client",
}
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")


def propose(report: Report, tree: Path) -> Fix | None:
    if exception_types(report)[0] not in ("ModuleNotFoundError", "ImportError"):
        return None
    match = _NO_MODULE.search(report.message)
    if not match:
        return None
    module = match.group(1)
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or _is_local(tree, top):
        return None
    distribution = distribution_for(module)
    if distribution is None or deps.declares(tree, distribution):
        return None
    edit = deps.add(tree, distribution)
    if edit is None:
        return None
    return Fix(
        pattern="missing-module",
        title=f"Declare the {distribution} dependency (provides `{top}`)",
        explanation=(
            f"The code imports `{module}`, which no declared dependency provides, so a fresh install fails with "
            f"`{report.exc_type}: {report.message}`.\n\n"
            f"The import name `{top}` belongs to the distribution **{distribution}** "
            f"({_source(top)}); this patch declares it in `{edit[0]}`."
        ),
        edits={edit[0]: edit[1]},
        installs=True,
    )


def distribution_for(module: str) -> str | None:
    """The distribution providing an import name: this interpreter's installed metadata, then the table.

    An unknown name gives None rather than a guess: installing a look-alike name is how typosquatting bites.
    """
    top = module.split(".")[0]
    installed = metadata.packages_distributions().get(top)
    if installed:
        return installed[0]
    return KNOWN.get(module) or KNOWN.get(top)


def _source(top: str) -> str:
    return "installed package metadata" if metadata.packages_distributions().get(top) else "autoheal's table"


def _is_local(tree: Path, top: str) -> bool:
    """The module is part of the project itself (then the bug is a path problem, not a missing dependency)."""
    roots = [tree, tree / "src"]
    return any((root / top).is_dir() or (root / f"{top}.py").is_file() for root in roots)
