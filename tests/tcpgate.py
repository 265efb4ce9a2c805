"""Local TCP relays for tests and benches: a port that refuses connections until opened, then
forwards them (a server coming back), and a relay that cuts connections mid-request (the
network gone)."""

from __future__ import annotations

import socket
import threading


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gate:
    """127.0.0.1:`port` refuses connections (nothing listens) until `open()`; then every
    connection is relayed to `upstream`."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []

    def open(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        for sock in [self._listener, *self._sockets]:
            if sock is not None:
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=_relay, args=(src, dst), daemon=True).start()


def _relay(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            _shut(sock)


class CuttingProxy:
    """127.0.0.1:`port` relays to `upstream_port`, counting the bytes sent towards it
    (`sent_upstream`, over all connections). At each of `cut_points` (a byte count) the
    bytes up to that point are delivered and then every open connection is dropped, the
    network gone mid-request; `cut()` drops them at once. It keeps accepting after a cut.
    Used by the tests and benches of resumable uploads and of the station agent."""

    def __init__(self, upstream_port: int, cut_points=()) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.cut_points = sorted(cut_points)
        self.sent_upstream = 0
        self.cuts = 0  # cuts made at cut_points
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            _shut(sock)
            sock.close()

    def close(self) -> None:
        self.listener.close()
        self.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._open += [client, server]
            threading.Thread(target=self._up, args=(client, server), daemon=True).start()
            threading.Thread(target=_relay, args=(server, client), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while data := client.recv(1024 * 1024):
                with self._lock:
                    due = bool(self.cut_points) and (
                        self.sent_upstream + len(data) >= self.cut_points[0]
                    )
                    if due:
                        data = data[: max(0, self.cut_points.pop(0) - self.sent_upstream)]
                        self.cuts += 1
                    self.sent_upstream += len(data)
                server.sendall(data)
                if due:  # mid-request: the part in flight is lost
                    self.cut()
                    return
        except OSError:
            pass
        finally:
            for sock in (client, server):
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
