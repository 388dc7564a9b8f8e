"""A loopback TCP proxy in front of a real server, to make that server "go away" for one client.

The shared PostgreSQL and Redis serve other test runs, so fault tests never
stop them: they point a store at this proxy and then make the proxy stop
answering (``blackhole``), hang up (``cut``) or refuse new connections
(``refuse``), and later ``forward`` again.
"""

from __future__ import annotations

import socket
import threading


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``target``; the mode can change at any time."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = "forward"
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.upstream_ports: list[int] = []  # local ports of our connections to the server
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    # -- modes ------------------------------------------------------------------------------

    def forward(self) -> None:
        self.mode = "forward"

    def blackhole(self) -> None:
        """Keep every connection open but drop all traffic, like a frozen server or a cut network."""
        self.mode = "blackhole"

    def refuse(self) -> None:
        """Hang up on every connection, now and as they arrive."""
        self.mode = "refuse"
        self.cut()

    def cut(self) -> None:
        """Close every open connection (the server went away); new ones are served per the mode."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _close(sock)

    def close(self) -> None:
        self._stopped.set()
        self.cut()
        _close(self._listener)

    # -- plumbing ---------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if self.mode == "refuse":
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
                self.upstream_ports.append(upstream.getsockname()[1])
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.mode == "forward":
                    sink.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
