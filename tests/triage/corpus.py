"""A corpus of small crashing projects, generated from a table: every dependency layout triage edits, the
crash shapes its patterns know, and traps where the only right answer is no pull request.

Each case is a project (files), how its user runs it, what the user's venv has, and the expected outcome:
a verified PR editing one file so that it contains a given text, or an analysis containing a given text.
Dependencies come from stand-in wheels built here and from the build backends and requests fetched once
per session from the configured package index, so nothing else is installed from anywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from triage_world import REPO, World, build_wheel, git

# distribution -> (version, files) of the stand-in wheels every corpus world can install.
STAND_INS: dict[str, tuple[str, dict[str, str]]] = {
    "PyYAML": ("6.0.2", {"yaml/__init__.py": "def safe_dump(data):\n    return repr(data)\n"}),
    "protobuf": ("5.28.0", {"google/protobuf/__init__.py": "", "google/protobuf/json_format.py": "X = 1\n"}),
    "google-cloud-storage": ("2.18.0", {"google/cloud/storage/__init__.py": "Client = object\n"}),
    "azure-identity": ("1.17.0", {"azure/identity/__init__.py": "DefaultAzureCredential = object\n"}),
    "Pillow": ("10.4.0", {"PIL/__init__.py": "", "PIL/Image.py": "def new(*a):\n    return a\n"}),
    "python-dateutil": ("2.9.0", {"dateutil/__init__.py": "", "dateutil/parser.py": "def parse(s):\n    return s\n"}),
    "beautifulsoup4": ("4.12.3", {"bs4/__init__.py": "BeautifulSoup = str\n"}),
    "attrs": ("24.2.0", {"attr/__init__.py": "s = lambda c: c\n"}),
    "tabulate": ("0.9.0", {"tabulate.py": "def tabulate(rows):\n    return str(rows)\n"}),
    "widgetlib": ("1.0.0", {"widget_lib/__init__.py": ""}),  # same name, different module: a trap
    "fastcodec": (
        "1.0.0",
        {"fastcodec/__init__.py": 'raise ImportError("libfastcodec.so: cannot open shared object file")\n'},
    ),
}
FETCHED = ["setuptools", "wheel", "poetry-core", "hatchling", "editables", "pdm-backend", "flit-core", "requests"]

USE_YAML = (
    'import yaml\n\n\ndef main():\n    print(yaml.safe_dump({"a": 1}))\n\n\nif __name__ == "__main__":\n    main()\n'
)
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
PDM = '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
POETRY = '[build-system]\nrequires = ["poetry-core>=1.0"]\nbuild-backend = "poetry.core.masonry.api"\n'
FLIT = '[build-system]\nrequires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"\n'


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str]
    expect: str  # "pr" or "analysis"
    path: str = ""  # for "pr": the file the fix edits
    contains: str = ""  # the edited file (pr) or the analysis (analysis) contains this
    argv: tuple[str, ...] = ("app.py",)
    user_installs: tuple[str, ...] = ()  # distributions in the user's venv (so the crash is the intended one)
    env: tuple[tuple[str, str], ...] = ()
    console_script: bool = False
    fast: bool = False  # part of the default quick subset


def _pkg(pyproject: str, name: str = "demo") -> dict[str, str]:
    return {"pyproject.toml": pyproject, f"src/{name}/__init__.py": "", "app.py": USE_YAML}


def dependency_layouts() -> list[Case]:
    """A missing `yaml` in every layout: the fix lands in the file the installer reads, in its style."""
    meta = '[project]\nname = "demo"\nversion = "0.1.0"\n'
    return [
        Case("pep621-empty", _pkg(meta + "dependencies = []\n" + HATCH), "pr", "pyproject.toml", '"PyYAML>=6.0.2"'),
        Case(
            "pep621-pinned",
            _pkg(meta + 'dependencies = [\n    "attrs==24.2.0",\n]\n' + SETUPTOOLS),
            "pr",
            "pyproject.toml",
            '"PyYAML==6.0.2",',
            user_installs=("attrs",),
            fast=True,
        ),
        Case(
            "pep621-minimum",
            _pkg(meta + 'dependencies = ["attrs>=23"]\n' + PDM),
            "pr",
            "pyproject.toml",
            '["attrs>=23", "PyYAML>=6.0.2"]',
            user_installs=("attrs",),
        ),
        Case("pep621-no-list", _pkg(meta + 'description = "d"\n' + FLIT), "pr", "pyproject.toml", "PyYAML>="),
        Case(
            "uv-application",
            {
                "pyproject.toml": meta + 'dependencies = []\n\n[tool.uv]\ndev-dependencies = ["attrs"]\n',
                "app.py": USE_YAML,
            },
            "pr",
            "pyproject.toml",
            '"PyYAML>=6.0.2"',
            fast=True,
        ),
        Case(
            "dynamic-setuptools",
            {
                **_pkg(
                    meta.replace('version = "0.1.0"\n', 'version = "0.1.0"\ndynamic = ["dependencies"]\n')
                    + SETUPTOOLS
                    + '\n[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.txt"]}\n'
                ),
                "requirements.txt": "attrs==24.2.0\n",
            },
            "pr",
            "requirements.txt",
            "attrs==24.2.0\nPyYAML==6.0.2\n",
            user_installs=("attrs",),
            fast=True,
        ),
        Case(
            "dynamic-with-include",
            {
                **_pkg(
                    meta.replace('version = "0.1.0"\n', 'version = "0.1.0"\ndynamic = ["dependencies"]\n')
                    + SETUPTOOLS
                    + '\n[tool.setuptools.dynamic]\ndependencies = {file = ["requirements/base.txt"]}\n'
                ),
                "requirements/base.txt": "attrs>=23\n",
            },
            "pr",
            "requirements/base.txt",
            "PyYAML>=6.0.2",
            user_installs=("attrs",),
        ),
        Case(
            "poetry-caret",
            {
                **_pkg(
                    '[tool.poetry]\nname = "demo"\nversion = "0.1.0"\ndescription = ""\nauthors = ["d <d@e.x>"]\n'
                    'packages = [{include = "demo", from = "src"}]\n\n'
                    '[tool.poetry.dependencies]\npython = ">=3.10"\nattrs = "^24.2"\n\n' + POETRY
                ),
            },
            "pr",
            "pyproject.toml",
            'PyYAML = "^6.0.2"',
            user_installs=("attrs",),
            fast=True,
        ),
        Case(
            "poetry-application",
            {
                "pyproject.toml": '[tool.poetry]\nname = "demo"\nversion = "0.1.0"\npackage-mode = false\n\n'
                '[tool.poetry.dependencies]\npython = ">=3.10"\nattrs = ">=23"\n',
                "app.py": USE_YAML,
            },
            "pr",
            "pyproject.toml",
            'PyYAML = ">=6.0.2"',
            user_installs=("attrs",),
        ),
        Case(
            "setup-py-list",
            {
                "setup.py": 'from setuptools import setup\n\nsetup(\n    name="demo",\n    version="0.1",\n'
                '    py_modules=["app"],\n    install_requires=[\n        "attrs>=23",\n    ],\n)\n',
                "app.py": USE_YAML,
            },
            "pr",
            "setup.py",
            '"PyYAML>=6.0.2",',
            user_installs=("attrs",),
            fast=True,
        ),
        Case(
            "setup-py-reads-requirements",
            {
                "setup.py": 'from setuptools import setup\n\nwith open("requirements.txt") as f:\n'
                '    required = f.read().splitlines()\n\nsetup(name="demo", version="0.1", py_modules=["app"], '
                "install_requires=required)\n",
                "requirements.txt": "attrs==24.2.0\n",
                "app.py": USE_YAML,
            },
            "pr",
            "requirements.txt",
            "PyYAML==6.0.2",
            user_installs=("attrs",),
        ),
        Case(
            "setup-cfg-list",
            {
                "setup.py": "from setuptools import setup\n\nsetup()\n",
                "setup.cfg": "[metadata]\nname = demo\nversion = 0.1\n\n[options]\npy_modules = app\n"
                "install_requires =\n    attrs>=23\n",
                "app.py": USE_YAML,
            },
            "pr",
            "setup.cfg",
            "    attrs>=23\n    PyYAML>=6.0.2\n",
            user_installs=("attrs",),
        ),
        Case(
            "setup-cfg-file",
            {
                "setup.py": "from setuptools import setup\n\nsetup()\n",
                "setup.cfg": "[metadata]\nname = demo\nversion = 0.1\n\n[options]\npy_modules = app\n"
                "install_requires = file: reqs.txt\n",
                "reqs.txt": "attrs==24.2.0\n",
                "MANIFEST.in": "include reqs.txt\n",
                "app.py": USE_YAML,
            },
            "pr",
            "reqs.txt",
            "PyYAML==6.0.2",
            user_installs=("attrs",),
        ),
        Case(
            "requirements-include",
            {
                "requirements.txt": "-r requirements/base.txt\n",
                "requirements/base.txt": "attrs==24.2.0\n",
                "app.py": USE_YAML,
            },
            "pr",
            "requirements/base.txt",
            "attrs==24.2.0\nPyYAML==6.0.2\n",
            user_installs=("attrs",),
            fast=True,
        ),
        Case(
            "requirements-plain",
            {"requirements.txt": "attrs\n", "app.py": USE_YAML},
            "pr",
            "requirements.txt",
            "attrs\nPyYAML\n",
            user_installs=("attrs",),
        ),
        Case("no-dependency-file", {"app.py": USE_YAML}, "pr", "requirements.txt", "PyYAML>=6.0.2"),
        Case(
            "hatch-with-tooling",
            _pkg(
                meta
                + 'dependencies = ["attrs~=24.2"]\n'
                + HATCH
                + '\n[tool.hatch.envs.test]\ndependencies = ["pytest"]\n'
            ),
            "pr",
            "pyproject.toml",
            '"PyYAML~=6.0.2"',
            user_installs=("attrs",),
        ),
    ]


def module_mapping() -> list[Case]:
    """Import names whose distribution is named otherwise, namespace packages, same-name distributions."""

    def app(line: str, use: str) -> dict[str, str]:
        return {"requirements.txt": "", "app.py": f"{line}\n\nprint({use})\n"}

    return [
        Case(
            "ns-protobuf",
            app("from google.protobuf import json_format", "json_format.X"),
            "pr",
            "requirements.txt",
            "protobuf",
            fast=True,
        ),
        Case(
            "ns-google-cloud",
            app("from google.cloud import storage", "storage.Client"),
            "pr",
            "requirements.txt",
            "google-cloud-storage",
        ),
        Case(
            "ns-azure",
            app("import azure.identity", "azure.identity.DefaultAzureCredential"),
            "pr",
            "requirements.txt",
            "azure-identity",
        ),
        Case("map-pillow", app("from PIL import Image", "Image.new(1)"), "pr", "requirements.txt", "Pillow"),
        Case(
            "map-dateutil",
            app("from dateutil import parser", "parser.parse('x')"),
            "pr",
            "requirements.txt",
            "python-dateutil",
        ),
        Case("map-bs4", app("import bs4", "bs4.BeautifulSoup"), "pr", "requirements.txt", "beautifulsoup4"),
        Case("same-name", app("from tabulate import tabulate", "tabulate([1])"), "pr", "requirements.txt", "tabulate"),
        Case(
            "trap-same-name-other-module",
            app("import widgetlib", "widgetlib"),
            "analysis",
            contains="does not ship the module `widgetlib`",
            fast=True,
        ),
        Case(
            "trap-unknown-distribution",
            app("import nosuchthing_xyz", "1"),
            "analysis",
            contains="could not be installed",
        ),
        Case("trap-typo-of-known", app("import yam1", "1"), "analysis", contains="close to `yaml`"),
        Case("trap-bare-namespace", app("import google", "google"), "analysis", contains="No module named 'google'"),
    ]


def import_traps() -> list[Case]:
    """ImportErrors no dependency edit fixes: each gets an analysis that says what is most likely."""
    meta = '[project]\nname = "demo"\nversion = "0.1.0"\n'
    return [
        Case(
            "trap-optional-extra",
            _pkg(meta + 'dependencies = []\n\n[project.optional-dependencies]\nyaml = ["PyYAML"]\n' + HATCH),
            "analysis",
            contains="optional here (declared in extra `yaml`)",
            fast=True,
        ),
        Case(
            "trap-poetry-optional",
            _pkg(
                '[tool.poetry]\nname = "demo"\nversion = "0.1.0"\ndescription = ""\nauthors = ["d <d@e.x>"]\n'
                'packages = [{include = "demo", from = "src"}]\n\n[tool.poetry.dependencies]\npython = ">=3.10"\n'
                'PyYAML = {version = "^6", optional = true}\n\n[tool.poetry.extras]\nyaml = ["PyYAML"]\n\n' + POETRY
            ),
            "analysis",
            contains="optional here",
        ),
        Case(
            "trap-dependency-group",
            {
                "pyproject.toml": meta + 'dependencies = []\n\n[dependency-groups]\ndev = ["PyYAML"]\n',
                "app.py": USE_YAML,
            },
            "analysis",
            contains="dependency group `dev`",
        ),
        Case(
            "trap-setup-py-extras",
            {
                "setup.py": 'from setuptools import setup\n\nsetup(name="demo", version="0.1", py_modules=["app"], '
                'install_requires=[], extras_require={"yaml": ["PyYAML"]})\n',
                "app.py": USE_YAML,
            },
            "analysis",
            contains="extra `yaml`",
        ),
        Case(
            "trap-dev-requirements",
            {"requirements.txt": "", "requirements-dev.txt": "PyYAML\n", "app.py": USE_YAML},
            "analysis",
            contains="`requirements-dev.txt`",
        ),
        Case(
            "trap-declared-not-installed",
            {"requirements.txt": "PyYAML\n", "app.py": USE_YAML},
            "analysis",
            contains="The project declares **PyYAML**",
        ),
        Case(
            "trap-dynamic-unknown-source",
            _pkg(meta.replace('version = "0.1.0"\n', 'version = "0.1.0"\ndynamic = ["dependencies"]\n') + SETUPTOOLS),
            "analysis",
            contains="No module named 'yaml'",
        ),
        Case(
            "trap-removed-stdlib",
            {"app.py": "import formatter\n\nprint(formatter)\n"},
            "analysis",
            contains="removed from the standard library in Python 3.10",
        ),
        Case(
            "trap-windows-only", {"app.py": "import winreg\n\nprint(winreg)\n"}, "analysis", contains="only on Windows"
        ),
        Case(
            "trap-module-elsewhere",
            {"tools/helpers.py": "X = 1\n", "bin/run.py": "import helpers\n\nprint(helpers.X)\n"},
            "analysis",
            contains="is part of this repository ([`tools/helpers.py`]",
            argv=("bin/run.py",),
        ),
        Case(
            "trap-broken-binary",
            {"requirements.txt": "fastcodec\n", "app.py": "import fastcodec\n"},
            "analysis",
            contains="A compiled extension failed to load",
            user_installs=("fastcodec",),
        ),
        Case(
            "trap-cannot-import-name",
            {
                "pkg/__init__.py": "",
                "pkg/util.py": "def parse_config():\n    return 1\n",
                "app.py": "from pkg.util import parse_confg\n",
            },
            "analysis",
            contains="it defines `parse_config`",
        ),
    ]


def environment_cases() -> list[Case]:
    """Required environment variables read in the shapes real programs use, and KeyErrors that are not."""

    def app(body: str) -> dict[str, str]:
        return {"app.py": f"import os\n\n{body}\n\nif __name__ == '__main__':\n    main()\n"}

    main = "def main():\n    "
    return [
        Case(
            "env-subscript",
            app(main + 'print(os.environ["SERVICE_URL"])'),
            "pr",
            "app.py",
            '_require_env("SERVICE_URL")',
            fast=True,
        ),
        Case(
            "env-getenv-int",
            app(main + 'print(int(os.getenv("PORT")))'),
            "pr",
            "app.py",
            '_require_env("PORT")',
            fast=True,
        ),
        Case(
            "env-get-split",
            app(main + 'print(os.environ.get("HOSTS").split(","))'),
            "pr",
            "app.py",
            '_require_env("HOSTS")',
        ),
        Case(
            "env-via-variable",
            app(main + 'raw = os.getenv("WORKERS")\n    print(raw.strip())'),
            "pr",
            "app.py",
            'raw = _require_env("WORKERS")',
        ),
        Case(
            "env-config-class",
            app('class Settings:\n    url = os.environ["DATABASE_URL"]\n\n\n' + main + "print(Settings.url)"),
            "pr",
            "app.py",
            '_require_env("DATABASE_URL")',
        ),
        Case(
            "env-init",
            app(
                "class Client:\n    def __init__(self):\n"
                '        self.timeout = float(os.getenv("CLIENT_TIMEOUT"))\n\n\n' + main + "print(Client().timeout)"
            ),
            "pr",
            "app.py",
            '_require_env("CLIENT_TIMEOUT")',
        ),
        Case(
            "env-dataclass-factory",
            app(
                "from dataclasses import dataclass, field\n\n\n@dataclass\nclass Config:\n"
                '    region: str = field(default_factory=lambda: os.environ["REGION"])\n\n\n' + main + "print(Config())"
            ),
            "pr",
            "app.py",
            '_require_env("REGION")',
        ),
        Case(
            "env-redacted-line",
            app(main + 'api_token = os.environ["API_TOKEN"]\n    print(len(api_token))'),
            "pr",
            "app.py",
            '_require_env("API_TOKEN")',
        ),
        Case(
            "env-run-as-module",
            {"tool/__init__.py": "", "tool/main.py": "import os\n\nprint(os.environ['TOOL_HOME'])\n"},
            "pr",
            "tool/main.py",
            "_require_env('TOOL_HOME')",
            argv=("-m", "tool.main"),
        ),
        Case(  # the first run leaves a file behind and never fails again: the patch would prove nothing
            "trap-first-run-only",
            app(
                main + 'if not os.path.exists(".initialized"):\n        open(".initialized", "w").close()\n'
                '        print(os.environ["SETUP_KEY"])'
            ),
            "analysis",
            contains="the failure does not happen on every run",
        ),
        Case(
            "trap-config-dict-keyerror",
            app('CONFIG = {"name": "x"}\n\n\n' + main + 'print(os.environ["HOME"] + CONFIG["SERVICE_URL"])'),
            "analysis",
            contains="a key the code assumed to exist",
            fast=True,
        ),
        Case(
            "trap-dict-same-name",
            app("SETTINGS = {}\n\n\n" + main + 'print(SETTINGS["PATH"], os.environ["PATH"])'),
            "analysis",
            contains="a key the code assumed to exist",
        ),
        Case(
            "trap-none-from-elsewhere",
            app("CFG = {}\n\n\n" + main + 'print(CFG.get("mode").upper(), os.getenv("MODE"))'),
            "analysis",
            contains="AttributeError",
        ),
        Case(
            "trap-env-set-elsewhere-fails",
            app(main + 'value = os.environ["LANG"]\n    print(int(value))'),
            "analysis",
            contains="ValueError",
        ),
    ]


def output_cases() -> list[Case]:
    """Writers that need their directory, and failures that only look like it."""

    def app(imports: str, body: str) -> dict[str, str]:
        return {"app.py": f"{imports}\n\n\ndef main():\n    {body}\n\n\nif __name__ == '__main__':\n    main()\n"}

    mkdir = "os.makedirs(os.path.dirname("
    return [
        Case(
            "out-open",
            app("import os", 'open(os.path.join("build", "r.txt"), "w").write("x")'),
            "pr",
            "app.py",
            mkdir,
            fast=True,
        ),
        Case(
            "out-pathlib",
            app("from pathlib import Path", 'Path("out/report.txt").write_text("x")'),
            "pr",
            "app.py",
            mkdir,
        ),
        Case(
            "out-path-open",
            app(
                "from pathlib import Path",
                'target = Path("out") / "a.txt"\n    with target.open("w") as f:\n        f.write("x")',
            ),
            "pr",
            "app.py",
            mkdir,
        ),
        Case("out-shutil-dst", app("import shutil", 'shutil.copy("app.py", "dist/app.py")'), "pr", "app.py", mkdir),
        Case(
            "out-logging-handler",
            app("import logging", 'logging.getLogger().addHandler(logging.FileHandler("logs/app.log"))'),
            "pr",
            "app.py",
            mkdir,
        ),
        Case(  # only fails where CI is set: the reproduction sets the recorded name to a placeholder
            "out-only-on-ci",
            app("import os", 'if os.environ.get("CI"):\n        open("ci-logs/run.txt", "w").write("x")'),
            "pr",
            "app.py",
            mkdir,
            env=(("CI", "true"),),
        ),
        Case(
            "trap-missing-input",
            app("import os", 'print(open(os.path.join("data", "input.csv")).read())'),
            "analysis",
            contains="a path the code relies on does not exist",
            fast=True,
        ),
        Case(
            "trap-shutil-missing-source",
            {**app("import shutil", 'shutil.copy("assets/logo.png", "dist/logo.png")'), "assets/README": "x\n"},
            "analysis",
            contains="FileNotFoundError",
        ),
        Case(
            "trap-input-missing-beside-output",
            app("import os", 'with open("in/data.txt") as f, open("out/r.txt", "w") as g:\n        g.write(f.read())'),
            "analysis",
            contains="FileNotFoundError",
        ),
    ]


def connection_cases() -> list[Case]:
    """A local service that starts a moment late, through each client; and requests that must not be retried."""
    server = (
        "import socket, threading, time\n\n\ndef serve_later(port):\n    def run():\n        time.sleep(0.5)\n"
        '        with socket.create_server(("127.0.0.1", port)) as s:\n            c, _ = s.accept()\n'
        '            c.recv(1024)\n            c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")\n'
        "            c.close()\n    threading.Thread(target=run, daemon=True).start()\n\n\n"
        'def free_port():\n    with socket.socket() as p:\n        p.bind(("127.0.0.1", 0))\n'
        "        return p.getsockname()[1]\n"
    )

    def app(imports: str, call: str) -> dict[str, str]:
        return {
            "requirements.txt": "requests\n" if "requests" in imports else "",
            "app.py": f"{imports}\n{server}\n\ndef main():\n    port = free_port()\n    serve_later(port)\n"
            f"    print({call})\n\n\nif __name__ == '__main__':\n    main()\n",
        }

    http = "import http.client"
    return [
        Case(
            "conn-http-client",
            {
                "requirements.txt": "",
                "app.py": f"{http}\n{server}\n\ndef main():\n    port = free_port()\n    serve_later(port)\n"
                '    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)\n    conn.request("GET", "/")\n'
                "    print(conn.getresponse().read())\n\n\nif __name__ == '__main__':\n    main()\n",
            },
            "pr",
            "app.py",
            'conn.request("GET", "/"), reset=conn.close)',
        ),
        Case(
            "conn-urllib",
            app("import urllib.request", 'urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()'),
            "pr",
            "app.py",
            "not isinstance(error.reason, ConnectionRefusedError)",
        ),
        Case(
            "conn-requests",
            app("import requests", 'requests.get(f"http://127.0.0.1:{port}/", timeout=5).text'),
            "pr",
            "app.py",
            "except requests.exceptions.ConnectionError",
            user_installs=("requests",),
            fast=True,
        ),
        Case(
            "trap-requests-post",
            app("import requests", 'requests.post(f"http://127.0.0.1:{port}/", data="x", timeout=5).text'),
            "analysis",
            contains="ConnectionError",
            user_installs=("requests",),
        ),
        Case(
            "trap-http-client-post",
            {
                "requirements.txt": "",
                "app.py": f"{http}\n{server}\n\ndef main():\n    port = free_port()\n    serve_later(port)\n"
                '    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)\n'
                '    conn.request("POST", "/", body="x")\n'
                "    print(conn.getresponse().read())\n\n\nif __name__ == '__main__':\n    main()\n",
            },
            "analysis",
            contains="ConnectionRefusedError",
        ),
    ]


def other_cases() -> list[Case]:
    script = '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = []\n\n'
    script += '[project.scripts]\ndemo-tool = "demo.cli:main"\n'
    return [
        Case(
            "console-script",
            {
                "pyproject.toml": script + HATCH,
                "src/demo/__init__.py": "",
                "src/demo/cli.py": "import os\n\n\ndef main():\n    print(os.environ['DEMO_TOKEN_FILE'])\n",
            },
            "pr",
            "src/demo/cli.py",
            "_require_env('DEMO_TOKEN_FILE')",
            argv=("demo-tool",),
            user_installs=(".",),
            console_script=True,
        ),
        Case(
            "trap-unknown-crash",
            {"app.py": "import sys\n\nprint(sum([]) / len(sys.argv[1:]))\n"},
            "analysis",
            contains="a divisor was zero",
        ),
        Case(
            "trap-script-not-in-repo",
            {"app.py": "import os\n\nprint(os.environ['X_URL'])\n"},
            "analysis",
            contains="in `__main__.<module>` at `<string>:1`",
            argv=("-c", "import os; os.environ['X_URL']"),
        ),
    ]


CASES = [*dependency_layouts(), *module_mapping(), *import_traps(), *environment_cases(), *output_cases(),
         *connection_cases(), *other_cases()]  # fmt: skip


def fetch_wheels(out: Path) -> Path:
    """Build the stand-ins and fetch the build backends and requests from the configured index, once."""
    out.mkdir(parents=True, exist_ok=True)
    for distribution, (version, files) in STAND_INS.items():
        build_wheel(out, distribution, version, files)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "-d", str(out), *FETCHED],
        check=True,
        capture_output=True,
    )
    return out


def make_case_world(hub: object, root: Path, case: Case, wheels: Path) -> World:
    """The case's project pushed to a bare remote, cloned for CI, and a user venv with the hook installed."""
    world = World(hub, root, case.name, "main", case.argv, case.env, str(wheels), case.console_script)
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(world.remote)], check=True)
    for rel, text in case.files.items():
        path = world.user / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(world.user, "init", "--quiet", "-b", "main")
    git(world.user, "add", ".")
    git(world.user, "commit", "--quiet", "-m", f"{case.name} case")
    git(world.user, "remote", "add", "origin", str(world.remote))
    git(world.user, "push", "--quiet", "origin", "main")
    git(root, "clone", "--quiet", str(world.remote), str(world.ci))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(world.venv)], check=True)
    root_dir = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "autoheal", "install", "--venv", str(world.venv)],
        check=True,
        cwd=root_dir,
        capture_output=True,
    )
    if case.user_installs:
        names = [a for n in case.user_installs for a in (("-e", str(world.user)) if n == "." else (n,))]
        pip = [sys.executable, "-m", "pip", "--python", str(world.venv / "bin" / "python"), "install", "-q"]
        env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
        subprocess.run([*pip, *names], check=True, capture_output=True, env=env)
    hub.state.get_repo(REPO).default_branch = "main"  # type: ignore[attr-defined]
    return world
