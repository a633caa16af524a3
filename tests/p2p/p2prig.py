"""Real processes on 127.0.0.1 for the p2p tests and benchmark: ghcache nodes and a js-ipfs node."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakehub import FakeHub
from support import ROOT, wait_until

sys.path.insert(0, str(ROOT / "tests" / "ghcache"))
from ghrig import GhRig, rig_env  # noqa: E402  (the shim rig of the ghcache suite)

SECRET = "correct horse battery staple"
RIG_DEADLINE_MS = "3000"  # GH_CACHE_PEER_TIMEOUT_MS unless a test unsets it (default: 150)
JSIPFS = ROOT / ".tools" / "ipfs" / "node_modules" / ".bin" / "jsipfs"
LOOPBACK_CONFIG = {  # nothing public: loopback only, no bootstrap list, no mDNS
    "Addresses": {
        "Swarm": ["/ip4/127.0.0.1/tcp/0"],
        "API": "/ip4/127.0.0.1/tcp/0",
        "Gateway": "/ip4/127.0.0.1/tcp/0",
        "RPC": "/ip4/127.0.0.1/tcp/0",
        "Announce": [],
        "NoAnnounce": [],
    },
    "Bootstrap": [],
    "Discovery": {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}},
}


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; bounded in time."""
    value = wait_until(predicate, timeout, interval)
    if not value:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")
    return value


class Node:
    """One machine: a gh home, a cache dir and (once started) a ghcache daemon. Settings given as
    None are unset: `GH_CACHE_PEER_TIMEOUT_MS=None` runs the node at the default deadline, which the
    rig otherwise raises (RIG_DEADLINE_MS) for tests about something else than time."""

    def __init__(self, name: str, hub: FakeHub, base: Path, netns: str = "", **settings: str | None) -> None:
        home = base / name / "home"
        home.mkdir(parents=True)
        token = f"ghp_{name}{secrets.token_hex(16)}"  # runners have different tokens, so different local keys
        hub.add_user(f"runner-{name}", token)
        env = rig_env(hub, home, base / name / "cache")
        env.update(hub.gh_env(token=token, home=home))
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "XDG_RUNTIME_DIR": "",
                "GH_CACHE_SHARED_SECRET": SECRET,
                "GH_CACHE_P2P_LISTEN": "/ip4/127.0.0.1/tcp/0",
                "GH_CACHE_P2P_MDNS": "0",
                "GH_CACHE_PEER_TIMEOUT_MS": RIG_DEADLINE_MS,
            }
        )
        for setting, value in settings.items():
            if value is None:
                env.pop(setting, None)
            else:
                env[setting] = value
        self.name, self.rig = name, GhRig(hub, home, env)
        self.netns = netns  # the network namespace its daemon runs in (its shim stays in ours)
        self.started = False

    @property
    def env(self) -> dict[str, str]:
        return self.rig.env

    @property
    def cache_dir(self) -> Path:
        return self.rig.cache_dir

    def ghcache(self, *args: str) -> subprocess.CompletedProcess[str]:
        inside = ["ip", "netns", "exec", self.netns] if self.netns else []
        return subprocess.run(
            [*inside, sys.executable, "-m", "ghcache", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
        )

    def start(self) -> Node:
        done = self.ghcache("daemon", "start")
        assert done.returncode == 0, done.stderr
        self.started = True
        return self

    def status(self) -> dict:
        from ghcache.daemon import client, control

        return control.status(client.socket_path(str(self.cache_dir), self.env)) or {}

    @property
    def address(self) -> str:
        return self.status()["addresses"][0]

    @property
    def pid(self) -> int:
        return int(self.status()["pid"])

    def gh(self, *args: str, **extra: str) -> subprocess.CompletedProcess[bytes]:
        return self.rig.run(*args, extra=extra, stdin=subprocess.DEVNULL)

    def stats(self) -> dict:
        from ghcache import stats

        return {name: counter.count for name, counter in stats.load(str(self.cache_dir)).counters.items()}

    def shared_pointers(self) -> list[dict]:
        shelf = self.cache_dir / "shared"
        return [json.loads(path.read_text()) for path in shelf.glob("*.json")] if shelf.exists() else []

    def stop(self) -> None:
        self.ghcache("daemon", "stop")


@contextmanager
def ipfs_node(workdir: Path) -> Iterator[str]:
    """A js-ipfs node on loopback (install it first with scripts/setup-ipfs.sh); yields its API multiaddr."""
    repo = workdir / "repo"
    config = workdir / "config.json"
    config.write_text(json.dumps(LOOPBACK_CONFIG))
    env = {**os.environ, "IPFS_PATH": str(repo)}
    subprocess.run(
        [str(JSIPFS), "init", "--profile", "test", "--emptyRepo", str(config)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with open(workdir / "daemon.log", "wb") as log:
        node = subprocess.Popen(
            [str(JSIPFS), "daemon", "--enable-preload=false"], env=env, stdout=log, stderr=log, start_new_session=True
        )
        try:
            api_file = repo / "api"
            wait_for(lambda: api_file.exists() and api_file.read_text().strip(), 60, "the IPFS API")
            yield api_file.read_text().strip()
        finally:
            os.killpg(node.pid, signal.SIGTERM)
            try:
                node.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)


def install_ipfs() -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "setup-ipfs.sh")], check=True, timeout=900)


def start_mesh(
    hub: FakeHub, base: Path, count: int, prefix: str, bootstraps: int = 2, **settings: str | None
) -> list[Node]:
    """`count` daemons in one namespace: the first `bootstraps` are everyone's bootstrap peers, the
    rest start at once; returns when every one has admitted all the others (peer exchange)."""
    nodes = [Node(f"{prefix}{index}", hub, base, **settings) for index in range(count)]
    try:
        for node in nodes[:bootstraps]:
            node.env["GH_CACHE_P2P_BOOTSTRAP"] = ",".join(seed.address for seed in nodes if seed.started)
            node.start()
        bootstrap = ",".join(node.address for node in nodes[:bootstraps])
        for node in nodes[bootstraps:]:
            node.env["GH_CACHE_P2P_BOOTSTRAP"] = bootstrap
        in_parallel([node.start for node in nodes[bootstraps:]])
        wait_for_mesh(nodes, 120)
    except BaseException:
        stop_all(nodes)
        raise
    return nodes


def wait_for_mesh(nodes: list[Node], timeout: float) -> None:
    for node in nodes:
        wait_for(
            lambda node=node: len(node.status().get("members", [])) >= len(nodes) - 1,
            timeout,
            f"{node.name} to admit its {len(nodes) - 1} peers",
        )


def in_parallel(calls: list, timeout: float = 300) -> list:
    """Run the calls at once (each in a thread, released together) and return their results in order."""
    import threading

    results: list = [None] * len(calls)
    errors: list[BaseException] = []
    gate = threading.Barrier(len(calls)) if calls else None

    def run(index: int) -> None:
        try:
            gate.wait(timeout)
            results[index] = calls[index]()
        except BaseException as error:  # handed to the caller below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    if any(thread.is_alive() for thread in threads):
        raise AssertionError(f"calls still running after {timeout}s")
    return results


def stop_all(nodes: list[Node]) -> None:
    in_parallel([node.stop for node in nodes if node.started])


def upstream_runs(nodes: list[Node]) -> int:
    """How many times the shims of `nodes` ran the real gh for a read (their stats)."""
    return sum(node.stats().get("run upstream", 0) for node in nodes)


class Lab:
    """Network namespaces of our own: a LAN (a bridge at LAN_IP, where a reachable peer runs) and
    runners on it that accept no inbound connection: every TCP SYN that reaches one is refused
    (iptables in its namespace), while it dials out as it likes. Nothing leaves the namespaces."""

    LAN_IP = "10.231.0.1"

    def __init__(self, runners: int) -> None:
        tag = secrets.token_hex(3)
        self.lan = f"ghc-{tag}-lan"
        self.runners = [f"ghc-{tag}-r{index}" for index in range(runners)]
        self.runner_ips = [f"10.231.0.{10 + index}" for index in range(runners)]

    def __enter__(self) -> Lab:
        for tool in ("ip", "iptables"):
            if shutil.which(tool) is None:
                raise AssertionError(f"{tool} is not installed: scripts/setup-netns.sh installs it")
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _build(self) -> None:
        lan = self.lan
        _ip("netns", "add", lan)
        _ip("-n", lan, "link", "set", "lo", "up")
        _ip("-n", lan, "link", "add", "br0", "type", "bridge")
        _ip("-n", lan, "addr", "add", f"{self.LAN_IP}/24", "dev", "br0")
        _ip("-n", lan, "link", "set", "br0", "up")
        for index, (runner, address) in enumerate(zip(self.runners, self.runner_ips, strict=True)):
            _ip("netns", "add", runner)
            _ip("-n", runner, "link", "set", "lo", "up")
            _ip("-n", lan, "link", "add", f"v{index}", "type", "veth", "peer", "name", "eth0", "netns", runner)
            _ip("-n", lan, "link", "set", f"v{index}", "master", "br0")
            _ip("-n", lan, "link", "set", f"v{index}", "up")
            _ip("-n", runner, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", runner, "link", "set", "eth0", "up")
            _run(
                "ip",
                "netns",
                "exec",
                runner,
                "iptables",
                "-A",
                "INPUT",
                "-p",
                "tcp",
                "--syn",
                "-j",
                "REJECT",
                "--reject-with",
                "tcp-reset",
            )

    def __exit__(self, *exc: object) -> None:
        """Whatever still runs in our namespaces is ours: end it, then remove them (veths go with them)."""
        for name in [*self.runners, self.lan]:
            pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, timeout=30)
            for pid in pids.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


def _ip(*args: str) -> None:
    _run("ip", *args)


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")


def marks(node: Node) -> dict[str, float]:
    """The node's tombstones (local marks): file name (a hash of host and repo) -> time of the last write."""
    folder = node.cache_dir / "invalidations"
    found = {}
    for path in folder.glob("*") if folder.exists() else ():
        try:
            found[path.name] = float(path.read_bytes() or 0)
        except (OSError, ValueError):  # being replaced right now
            continue
    return found


def knows_writes_of(node: Node, writer: Node) -> bool:
    """Whether `node` holds every tombstone `writer` holds, at least as recent."""
    known = marks(node)
    return all(known.get(name, 0.0) >= when for name, when in marks(writer).items())


def end_daemon(node: Node, signum: int) -> None:
    """Signal the node's daemon (SIGTERM: it stops cleanly; SIGKILL: it dies) and wait until it is gone."""
    pid = node.pid
    os.kill(pid, signum)

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie is gone too: whoever adopted it has not reaped it yet
            with open(f"/proc/{pid}/stat", "rb") as stat:
                return stat.read().rsplit(b")", 1)[1].split()[0] == b"Z"
        except FileNotFoundError:
            return True

    wait_for(gone, 30, f"{node.name}'s daemon to end")
