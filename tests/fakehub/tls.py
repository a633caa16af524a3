"""A throwaway certificate authority so gh can speak real TLS to the fake server."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

#: Names the leaf certificate is valid for: every way a client may reach us.
SERVER_NAMES = ("localhost", "127.0.0.1", "::1", "github.localhost", "api.github.localhost")


class TestCA:
    """A fresh CA per hub; only the public certificate ever touches disk."""

    def __init__(self, directory: Path) -> None:
        self._ca = trustme.CA(organization_name="fakehub test CA")
        self._leaf = self._ca.issue_cert(*SERVER_NAMES)
        self.ca_file = directory / "fakehub-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        """An SSL context for the listening side, HTTP/1.1 only (gh would try h2 otherwise)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._leaf.configure_cert(ctx)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx
