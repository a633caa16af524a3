"""Asks a local daemon for its status right after starting it, before it listens: a start-up race."""

import socket
import threading
import time


def start_daemon(port: int) -> None:
    """A local service that needs a moment before it accepts connections, like a database container."""

    def serve() -> None:
        time.sleep(0.5)
        with socket.create_server(("127.0.0.1", port)) as server:
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"ready\n")

    threading.Thread(target=serve, daemon=True).start()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def daemon_status(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        return conn.recv(64).decode().strip()


def main() -> None:
    port = free_port()
    start_daemon(port)
    print(daemon_status(port))


if __name__ == "__main__":
    main()
