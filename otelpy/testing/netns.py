"""Fixed ports in a test without colliding with anything: a private network namespace.

Tests use free ports, except where the point is the fixed ones (the built-in config's
4317/4318/8888, the README's snippets written against them). :func:`run_on_fixed_ports`
runs such a test body in a new thread that first moves into a network namespace of its
own (``unshare(CLONE_NEWNET)`` applies to the calling thread only) with its loopback
interface up, so those ports are free there whatever runs on the machine, and nothing the
test starts can reach anything outside. Processes the body starts (``subprocess`` forks
from the calling thread) inherit the namespace; so do the sockets it opens.

Creating a network namespace needs CAP_SYS_ADMIN (root, as in CI). Without it the body
runs on the machine's own network, after checking that the ports are free: a busy port
fails the test with what to do, it never skips.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from otelpy.testing.process import port_is_free

__all__ = ["enter_private_network", "run_on_fixed_ports"]

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
_IFREQ = "16sH22x"  # struct ifreq: name, then ifr_flags in the union


def enter_private_network() -> None:
    """Move the calling thread into a new network namespace and bring its loopback up.

    Raises PermissionError without CAP_SYS_ADMIN, OSError on other failures.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise (PermissionError if code in (errno.EPERM, errno.EACCES) else OSError)(
            code, f"unshare(CLONE_NEWNET): {os.strerror(code)}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack(_IFREQ, b"lo", 0)
        _, flags = struct.unpack(_IFREQ, fcntl.ioctl(s, SIOCGIFFLAGS, request))
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | IFF_UP))


def run_on_fixed_ports(body: Callable[[], T], ports: Sequence[int]) -> T:
    """``body()`` in a private network namespace (in a thread of its own), where ``ports``
    are free on 127.0.0.1 and ::1; its result is returned and its exception raised here.

    Without the privilege for a namespace, ``body()`` runs here on the machine's network
    if ``ports`` are free there; AssertionError names the busy ones otherwise.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []
    denied = threading.Event()

    def run() -> None:
        try:
            enter_private_network()
        except PermissionError:
            denied.set()
            return
        try:
            outcome.append(body())
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="private network", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    if outcome:
        return outcome[0]
    assert denied.is_set()
    busy = [p for p in ports if not port_is_free(p)]
    assert not busy, (f"no private network namespace (not root) and port(s) {busy} are in "
                      f"use here; this test needs {list(ports)} free: stop what holds them")
    return body()
