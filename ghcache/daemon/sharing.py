"""Who may share with whom: a namespace and its secret, the keys derived from them, and sealing.

Every shared blob (entries, announcements, IPFS pointers) is sealed with AES-256-GCM under a key
derived from the secret, with its wire key as associated data. A peer without the secret can
neither read a blob nor make one we accept, and a sealed entry cannot be replayed under another
key. Wire keys and the gossip topic are HMACs of our local keys, so strangers who
watch the network cannot map them back to gh commands or even tell two namespaces apart.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import settings

NONCE_SIZE = 12
KDF_SALT = b"ghcache-sharing-1"


class NotConfigured(Exception):
    """Sharing is off: no secret was given."""


class Rejected(ValueError):
    """A blob that is not sealed with our secret, or not for the key it was offered under."""


@dataclass(frozen=True)
class Sharing:
    """The keys of one namespace. Build it with `from_env` or `from_secret`."""

    namespace: str
    seal_key: bytes
    name_key: bytes

    @classmethod
    def from_secret(cls, namespace: str, secret: bytes) -> Sharing:
        def derive(purpose: bytes) -> bytes:
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=KDF_SALT, info=purpose + b"\0" + namespace.encode())
            return hkdf.derive(secret)

        return cls(namespace, derive(b"seal"), derive(b"names"))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Sharing:
        """GH_CACHE_NAMESPACE plus GH_CACHE_SHARED_SECRET or the file GH_CACHE_SHARED_SECRET_FILE."""
        return cls.from_secret(settings.namespace(env), read_secret(env))

    def name(self, purpose: str, value: str = "") -> str:
        """A public name for something only the namespace should recognise (hex, 32 chars)."""
        return hmac.new(self.name_key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()[:32]

    def wire_key(self, shared_key: str) -> str:
        """The key an entry travels under: peers and gossip never see the local key."""
        return self.name("entry", shared_key)

    @property
    def topic(self) -> str:
        return "/ghcache/" + self.name("topic")

    @property
    def mdns_service(self) -> str:
        """An mDNS service type (labels are at most 15 characters) that only our namespace browses."""
        return f"_ghc-{self.name('mdns')[:8]}._udp.local."

    def seal(self, wire_key: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return nonce + AESGCM(self.seal_key).encrypt(nonce, plaintext, wire_key.encode())

    def open(self, wire_key: str, sealed: bytes) -> bytes:
        """The plaintext, or Rejected if the blob was not sealed by us for this key."""
        if len(sealed) < NONCE_SIZE + 16:
            raise Rejected("too short to be sealed")
        try:
            return AESGCM(self.seal_key).decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], wire_key.encode())
        except InvalidTag:
            raise Rejected("not sealed with this namespace's secret") from None


def read_secret(env: Mapping[str, str]) -> bytes:
    """The secret from the environment or a key file; the file must not be readable by others."""
    if env.get("GH_CACHE_SHARED_SECRET"):
        return env["GH_CACHE_SHARED_SECRET"].encode()
    path = env.get("GH_CACHE_SHARED_SECRET_FILE")
    if not path:
        raise NotConfigured("sharing needs GH_CACHE_SHARED_SECRET or GH_CACHE_SHARED_SECRET_FILE")
    if os.stat(path).st_mode & 0o077:
        raise NotConfigured(f"{path} is readable by others; chmod 600 it")
    with open(path, "rb") as handle:
        secret = handle.read().strip()
    if not secret:
        raise NotConfigured(f"{path} is empty")
    return secret
