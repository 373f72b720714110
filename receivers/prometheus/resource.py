"""The resource of a scrape target, as the Collector's prometheusreceiver makes it."""

from __future__ import annotations

import ipaddress

__all__ = ["resource_attributes"]


def _discernible(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host != "localhost"
    return not (ip.is_loopback or ip.is_unspecified)


def resource_attributes(job: str, instance: str, scheme: str) -> dict[str, str]:
    """The Collector's CreateResource (without the legacy net.host.* / http.scheme keys)."""
    host, sep, port = instance.rpartition(":")
    if not sep or (":" in host and not host.startswith("[")):
        host, port = instance, ""
    host = host.strip("[]") if host.startswith("[") else host
    attrs = {"service.name": job}
    if _discernible(host):
        attrs["server.address"] = host
    attrs.update({"service.instance.id": instance, "server.port": port, "url.scheme": scheme})
    return attrs
