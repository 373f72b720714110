"""The detectors that read this machine: env (OTEL_RESOURCE_ATTRIBUTES), system (host name,
host ID, OS, architecture) and docker (the Docker API's /info over its unix socket).

Each ``detect`` coroutine returns the detected attributes, ``{}`` when there is nothing to
detect, or raises :class:`DetectionError`. Blocking calls (name lookups, file reads) run in
a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import re
import socket
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

__all__ = ["DetectionError", "detect_docker", "detect_env", "detect_system", "parse_resource"]


class DetectionError(Exception):
    """A detector could not read what it looks for."""


# the Collector's env detector: key=value pairs of ASCII, spaces around them ignored
_PAIR = re.compile(r"\s*([\x00-\x7f]{1,256}?)\s*=\s*([\x00-\x7f]{0,256}?)\s*(?:,|$)")
_HEX = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _query_unescape(value: str) -> str:
    """Go's ``url.QueryUnescape``: %XX decoded (bytes as UTF-8), + as a space; a malformed
    escape is an error."""
    bad = _HEX.search(value)
    if bad:
        raise DetectionError(f"invalid URL escape {value[bad.start():bad.start() + 3]!r}")
    return urllib.parse.unquote_plus(value, errors="replace")


def parse_resource(text: str) -> dict[str, str]:
    """OTEL_RESOURCE_ATTRIBUTES as the Collector reads it (``initializeAttributeMap``)."""
    matches = list(_PAIR.finditer(text))
    if not matches:
        raise DetectionError(f"invalid resource format: {text!r}")
    attrs: dict[str, str] = {}
    previous = 0
    for m in matches:
        if m.start() != previous:
            raise DetectionError(f"invalid resource format, invalid text: "
                                 f"{text[previous:m.start()]!r}")
        try:
            attrs[m.group(1)] = _query_unescape(m.group(2))
        except DetectionError as exc:
            raise DetectionError(f"invalid resource format in attribute: {m.group()!r}, "
                                 f"err: {exc}") from None
        previous = m.end()
    if matches[-1].end() != len(text):
        raise DetectionError(f"invalid resource format, invalid text: {text[previous:]!r}")
    return attrs


async def detect_env(environ: Mapping[str, str]) -> dict[str, Any]:
    text = environ.get("OTEL_RESOURCE_ATTRIBUTES", "").strip() or \
        environ.get("OTEL_RESOURCE", "").strip()
    return parse_resource(text) if text else {}


# --- system --------------------------------------------------------------------------------

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
         "i386": "x86", "i686": "x86", "x86": "x86", "armv7l": "arm32", "armv6l": "arm32",
         "ppc64le": "ppc64", "ppc64": "ppc64", "s390x": "s390x"}
_OS_TYPE = {"linux": "linux", "darwin": "darwin", "win32": "windows", "freebsd": "freebsd",
            "openbsd": "openbsd", "netbsd": "netbsd", "sunos5": "solaris", "aix": "aix"}


def _canonical_name(hostname: str) -> str:
    for *_, canon, _addr in socket.getaddrinfo(hostname, None, flags=socket.AI_CANONNAME):
        if canon:
            return canon.rstrip(".")
    raise DetectionError(f"no canonical name for {hostname}")


def _fqdn() -> str:
    try:
        return _canonical_name(socket.gethostname())
    except OSError as exc:
        raise DetectionError(f"getFQDN failed getting FQDN: {exc}") from None


def _os_hostname() -> str:
    return socket.gethostname()


def _cname() -> str:
    try:
        return _canonical_name(socket.gethostname())
    except OSError as exc:
        raise DetectionError(f"lookupCNAME failed to get CNAME: {exc}") from None


def _reverse_lookup() -> str:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
        for address in sorted(addresses):
            name = socket.gethostbyaddr(address)[0]
            if name:
                return name.rstrip(".")
    except OSError as exc:
        raise DetectionError(f"reverseLookupHost failed to lookup host: {exc}") from None
    raise DetectionError("reverseLookupHost failed to lookup host: no name")


HOSTNAME_SOURCES: dict[str, Callable[[], str]] = {
    "dns": _fqdn, "os": _os_hostname, "cname": _cname, "lookup": _reverse_lookup}


def _host_id() -> str | None:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")[:256].strip()
        except OSError:
            continue
        if text:
            return text
    return None


def _os_description() -> str:
    """Go SDK's WithOSDescription on Linux: ``PRETTY_NAME (sysname nodename release version
    machine)``."""
    uname = os.uname()
    pretty = ""
    try:
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.partition("=")[2].strip().strip('"')
    except OSError:
        pretty = ""
    machine = " ".join((uname.sysname, uname.nodename, uname.release, uname.version,
                        uname.machine))
    return f"{pretty} ({machine})" if pretty else machine


def _system_facts(sources: list[str], wanted: frozenset[str],
                  log: logging.Logger) -> dict[str, Any]:
    errors = []
    for source in sources or ["dns", "os"]:
        try:
            hostname = HOSTNAME_SOURCES[source]()
        except DetectionError as exc:
            log.debug("%s", exc)
            errors.append(str(exc))
            continue
        facts: dict[str, Any] = {"host.name": hostname,
                                 "os.type": _OS_TYPE.get(sys.platform, sys.platform)}
        if "host.id" in wanted:
            host_id = _host_id()
            if host_id is None:
                log.warning("failed to get host ID: no /etc/machine-id")
            else:
                facts["host.id"] = host_id
        if "os.description" in wanted:
            facts["os.description"] = _os_description()
        machine = platform.machine().lower()
        facts["host.arch"] = _ARCH.get(machine, machine)
        return {k: v for k, v in facts.items() if k in wanted}
    raise DetectionError("all hostname sources failed to get hostname: " + "; ".join(errors))


async def detect_system(sources: list[str], wanted: frozenset[str],
                        log: logging.Logger) -> dict[str, Any]:
    return await asyncio.to_thread(_system_facts, sources, wanted, log)


# --- docker ----------------------------------------------------------------------------------

_GOOS = {"linux": "linux", "windows": "windows"}


def docker_socket(environ: Mapping[str, str]) -> str:
    """The Docker daemon's unix socket: DOCKER_HOST (unix://...) or /var/run/docker.sock."""
    host = environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://"):]
    if host:
        raise DetectionError(f"DOCKER_HOST {host!r}: only unix:// sockets are supported")
    return "/var/run/docker.sock"


async def detect_docker(socket_path: str, wanted: frozenset[str]) -> dict[str, Any]:
    """GET /info from the Docker Engine API: host.name = Name, os.type = OSType."""
    connector = aiohttp.UnixConnector(path=socket_path)
    try:
        async with aiohttp.ClientSession(connector=connector) as session, \
                session.get("http://docker/info") as resp:
            if resp.status != 200:
                raise DetectionError(f"failed getting OS type: Docker API answered "
                                     f"{resp.status}")
            info = await resp.json(content_type=None)
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        raise DetectionError(f"failed getting OS type: {exc}") from None
    if not isinstance(info, dict):
        raise DetectionError("failed getting OS type: /info is not a JSON object")
    os_type = str(info.get("OSType", ""))
    facts = {"host.name": str(info.get("Name", "")), "os.type": _GOOS.get(os_type, os_type)}
    return {k: v for k, v in facts.items() if k in wanted}
