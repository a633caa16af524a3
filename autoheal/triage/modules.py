"""Which distribution provides an import name: namespace packages from the full dotted name, a curated
table of well-known mismatches, else the same name. Never this interpreter's own site-packages: what triage
happens to have installed says nothing about the project.

Every candidate is only a candidate: verification installs it and checks that it really ships the module.
"""

from __future__ import annotations

# Import name -> distribution, for names that differ (public facts from each project's documentation).
MISMATCHED = {
    "yaml": "PyYAML",
    "cv2": "opencv-python",
    "PIL": "Pillow",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "PyJWT",
    "magic": "python-magic",
    "serial": "pyserial",
    "usb": "pyusb",
    "Crypto": "pycryptodome",
    "Cryptodome": "pycryptodomex",
    "OpenSSL": "pyOpenSSL",
    "MySQLdb": "mysqlclient",
    "psycopg2": "psycopg2-binary",
    "git": "GitPython",
    "github": "PyGithub",
    "gitlab": "python-gitlab",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "PyMuPDF",
    "attr": "attrs",
    "jose": "python-jose",
    "slugify": "python-slugify",
    "telegram": "python-telegram-bot",
    "discord": "discord.py",
    "Levenshtein": "python-Levenshtein",
    "zmq": "pyzmq",
    "websocket": "websocket-client",
    "multipart": "python-multipart",
    "socks": "PySocks",
    "win32api": "pywin32",
    "win32con": "pywin32",
    "dns": "dnspython",
    "ldap": "python-ldap",
    "nacl": "PyNaCl",
    "OpenGL": "PyOpenGL",
    "pkg_resources": "setuptools",
    "markdown_it": "markdown-it-py",
    "mpl_toolkits": "matplotlib",
    "faiss": "faiss-cpu",
    "lzo": "python-lzo",
    "snappy": "python-snappy",
    "Bio": "biopython",
    "tensorflow_hub": "tensorflow-hub",
    "umap": "umap-learn",
    "kafka": "kafka-python",
    "memcache": "python-memcached",
    "consul": "python-consul",
    "jenkins": "python-jenkins",
    "ruamel": "ruamel.yaml",
    "google.protobuf": "protobuf",
    "google.genai": "google-genai",
    "googleapiclient": "google-api-python-client",
    "google_auth_oauthlib": "google-auth-oauthlib",
    "google.auth": "google-auth",
    "google.oauth2": "google-auth",
    "azure.storage.blob": "azure-storage-blob",
}
# Namespace packages whose distributions are named after the dotted path (`google.cloud.storage` ->
# `google-cloud-storage`); value: how many dotted parts name the distribution.
NAMESPACES = {"google.cloud": 3, "azure": 2, "azure.mgmt": 3, "azure.storage": 3, "zope": 2, "jaraco": 2}


def candidate(module: str) -> str | None:
    """The distribution most likely to provide `module` (a full dotted import name), or None."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        known = MISMATCHED.get(".".join(parts[:length]))
        if known:
            return known
    for prefix, length in sorted(NAMESPACES.items(), key=lambda item: -len(item[0])):
        if module.startswith(prefix + ".") and len(parts) >= length:
            return "-".join(parts[:length])
    if parts[0] in {p.split(".")[0] for p in NAMESPACES} or parts[0] == "google":
        return None  # a bare namespace name: which of its many distributions is meant is unknown
    return parts[0] if parts[0].isidentifier() else None


def source(module: str) -> str:
    """Where the mapping came from, for the PR's explanation."""
    parts = module.split(".")
    if any(".".join(parts[:n]) in MISMATCHED for n in range(len(parts), 0, -1)):
        return "autoheal's table of import names that differ from their distribution's name"
    if any(module.startswith(prefix + ".") for prefix in NAMESPACES):
        return "the namespace package's naming convention"
    return "the same name; verification checked that this distribution ships the module"
