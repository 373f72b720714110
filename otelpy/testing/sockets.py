"""Sockets that misbehave on purpose, for tests of clients' timeouts."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

__all__ = ["hanging_connects"]

HOST = "127.0.0.1"


@contextlib.contextmanager
def hanging_connects() -> Iterator[int]:
    """A port on 127.0.0.1 where a TCP connect hangs (neither accepted nor refused).

    A listener whose accept queue is full: Linux drops further SYNs, so a client stays in
    SYN_SENT until its own timeout and no byte of its request can be written.
    """
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(0)
        address = listener.getsockname()
        fillers: list[socket.socket] = []
        try:
            for _ in range(8):  # more than the queue holds; the rest stay in SYN_SENT
                s = socket.socket()
                fillers.append(s)
                s.setblocking(False)
                s.connect_ex(address)
            time.sleep(0.05)
            yield int(address[1])
        finally:
            for s in fillers:
                s.close()
