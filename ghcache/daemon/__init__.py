"""The long-running peer daemon: libp2p and IPFS tiers behind a local Unix socket.

The shim never imports anything here except `client` (standard library only); the rest costs
seconds to import and lives in the daemon process.
"""
