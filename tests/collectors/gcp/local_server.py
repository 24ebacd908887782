"""A plain HTTP server on 127.0.0.1, in a thread, that answers slowly on purpose: no network, real sockets.

`drip="headers"` sends the status line and then one header byte at a time; `drip="body"` sends whole
headers and then the body one byte at a time; `drip=None` answers at once, keeping the connection open for
more requests. Every byte sent is a fresh socket read for the client, so a per-read timeout never fires.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

Drip = Literal["headers", "body"] | None
BODY = b'{"name": "projects/123456789012", "projectId": "ml-prod-4521"}'


@dataclass
class LocalServer:
    drip: Drip
    interval: float = 0.2  # seconds between two dripped bytes
    drops: int = 100  # bytes dripped before the server gives up (it never gets that far in a passing test)
    accepted: int = 0  # connections accepted
    answered: int = 0  # requests answered in full
    _listener: socket.socket = field(default_factory=socket.socket)
    _stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()
        return f"http://{host}:{port}"

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                while self._read_request(conn) and not self._stopped.is_set():
                    if self.drip is None:
                        self.answered += 1  # before sending: the client may look as soon as it has the answer
                        conn.sendall(self._head(len(BODY)) + BODY)
                        continue
                    self._trickle(conn)
                    return
            except OSError:  # the client cut the connection
                return

    @staticmethod
    def _read_request(conn: socket.socket) -> bool:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return False
            request += chunk
        return True

    @staticmethod
    def _head(length: int) -> bytes:
        return f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode()

    def _trickle(self, conn: socket.socket) -> None:
        if self.drip == "headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            dripped = b"a" * self.drops
        else:
            conn.sendall(self._head(self.drops))
            dripped = b" " * self.drops
        for byte in dripped:
            if self._stopped.wait(self.interval):
                return
            conn.sendall(bytes([byte]))

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()


@contextmanager
def local_server(drip: Drip, interval: float = 0.2) -> Iterator[LocalServer]:
    server = LocalServer(drip, interval)
    server._listener.bind(("127.0.0.1", 0))
    server._listener.listen()
    threading.Thread(target=server._serve, daemon=True).start()
    try:
        yield server
    finally:
        server.stop()
