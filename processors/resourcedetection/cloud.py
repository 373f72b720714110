"""The cloud detectors: ec2 (IMDSv2), gcp (the GCE metadata server), azure and aks (Azure
IMDS). Each asks its provider's local metadata service over HTTP; when that service does
not answer, the detector finds nothing (``{}``, logged at debug), as the Collector's do when
``fail_on_missing_metadata`` is off. An answer that is present but unusable raises
:class:`DetectionError`.

Endpoints, as the Collector's SDKs take them: ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` (a URL,
default ``http://169.254.169.254``), ``GCE_METADATA_HOST`` (host:port, default
``169.254.169.254``; when set the metadata server is assumed present, as Go's
``metadata.OnGCE``), and for Azure the fixed ``http://169.254.169.254`` (no override in the
Collector; the detector takes another base URL only from tests). The ec2 detector's ``tags``
call the EC2 API (:mod:`ec2api`, credentials from :mod:`awscreds`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from otelpy.processors.resourcedetection import ec2api
from otelpy.processors.resourcedetection.awscreds import credentials
from otelpy.processors.resourcedetection.local import DetectionError

__all__ = ["detect_aks", "detect_azure", "detect_ec2", "detect_gcp"]

_MAX_BODY = 64 * 1024
IMDS = "http://169.254.169.254"


class _Absent(Exception):
    """The metadata service did not answer: not on this cloud."""


async def _fetch(session: aiohttp.ClientSession, method: str, url: str,
                 headers: Mapping[str, str]) -> tuple[int, str]:
    try:
        async with session.request(method, url, headers=dict(headers)) as resp:
            body = await resp.content.read(_MAX_BODY)
            return resp.status, body.decode("utf-8", "replace")
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise _Absent(f"{method} {url}: {exc or type(exc).__name__}") from None


def _session() -> aiohttp.ClientSession:
    """A session without its own deadline: the processor bounds all of detection."""
    return aiohttp.ClientSession()


def _pick(facts: dict[str, Any], wanted: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if k in wanted and v != ""}


# --- ec2 ---------------------------------------------------------------------------------------

async def _ec2_token(session: aiohttp.ClientSession, base: str) -> str | None:
    """IMDSv2 session token; None when the service only speaks IMDSv1 (403/404/405)."""
    status, body = await _fetch(session, "PUT", f"{base}/latest/api/token",
                                {"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
    if status == 200:
        return body
    if status in (403, 404, 405):
        return None
    raise _Absent(f"PUT {base}/latest/api/token answered {status}")


async def _ec2_get(session: aiohttp.ClientSession, base: str, path: str,
                   headers: Mapping[str, str], what: str) -> str:
    try:
        status, body = await _fetch(session, "GET", f"{base}{path}", headers)
    except _Absent as exc:
        raise DetectionError(f"failed getting {what}: {exc}") from None
    if status != 200:
        raise DetectionError(f"failed getting {what}: {path} answered {status}")
    return body


async def detect_ec2(base: str, wanted: frozenset[str], log: logging.Logger,
                     tags: Sequence[re.Pattern[str]] = (),
                     environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """IMDS facts; with ``tags`` (key patterns, searched as Go's MatchString), the instance's
    matching tags as ``ec2.tag.<key>`` from DescribeTags. A tag failure is logged and the
    other facts kept, as the Collector does."""
    base = base.rstrip("/")
    async with _session() as session:
        try:
            token = await _ec2_token(session, base)
            headers = {"X-aws-ec2-metadata-token": token} if token else {}
            status, _ = await _fetch(session, "GET", f"{base}/latest/meta-data/instance-id",
                                     headers)
            if status != 200:
                raise _Absent(f"instance-id answered {status}")
        except _Absent as exc:
            log.debug("EC2 metadata unavailable: %s", exc)
            return {}
        text = await _ec2_get(session, base, "/latest/dynamic/instance-identity/document",
                              headers, "identity document")
        hostname = await _ec2_get(session, base, "/latest/meta-data/hostname", headers,
                                  "hostname")
        doc = _json_object(text, "failed getting identity document")
        found = _pick({
            "cloud.provider": "aws", "cloud.platform": "aws_ec2",
            "cloud.region": doc.get("region", ""), "cloud.account.id": doc.get("accountId", ""),
            "cloud.availability_zone": doc.get("availabilityZone", ""),
            "host.id": doc.get("instanceId", ""), "host.image.id": doc.get("imageId", ""),
            "host.type": doc.get("instanceType", ""), "host.name": hostname.strip(),
        }, wanted)
        if tags:
            found.update(await _ec2_tags(session, base, environ or {}, doc, tags, log))
    return found


async def _ec2_tags(session: aiohttp.ClientSession, base: str, environ: Mapping[str, str],
                    doc: Mapping[str, str], patterns: Sequence[re.Pattern[str]],
                    log: logging.Logger) -> dict[str, str]:
    try:
        creds = await credentials(session, environ, base, doc.get("region", ""))
        tags = await ec2api.describe_tags(session, environ, creds, doc.get("region", ""),
                                          doc.get("instanceId", ""))
    except DetectionError as exc:
        log.warning("failed fetching ec2 instance tags: %s", exc)
        return {}
    return {f"ec2.tag.{key}": value for key, value in sorted(tags.items())
            if any(p.search(key) for p in patterns)}


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise DetectionError(f"{what}: {exc}") from None
    if not isinstance(value, dict):
        raise DetectionError(f"{what}: not a JSON object")
    return {str(k): v if isinstance(v, str) else "" if v is None else str(v)
            for k, v in value.items()}


# --- gcp -----------------------------------------------------------------------------------

_GCE_PATHS = {"project": "project/project-id", "id": "instance/id", "name": "instance/name",
              "hostname": "instance/hostname", "zone": "instance/zone",
              "machine": "instance/machine-type"}


async def detect_gcp(environ: Mapping[str, str], wanted: frozenset[str],
                     log: logging.Logger) -> dict[str, Any]:
    host = environ.get("GCE_METADATA_HOST", "")
    flavor = {"Metadata-Flavor": "Google"}
    async with _session() as session:
        if not host:
            try:
                await _fetch(session, "GET", f"{IMDS}/", flavor)
            except _Absent as exc:
                log.debug("not on GCE: %s", exc)
                return {}
            host = IMDS[len("http://"):]
        values = {}
        for key, path in _GCE_PATHS.items():
            url = f"http://{host}/computeMetadata/v1/{path}"
            try:
                status, body = await _fetch(session, "GET", url, flavor)
            except _Absent as exc:
                raise DetectionError(f"gcp metadata {path}: {exc}") from None
            if status != 200:
                raise DetectionError(f"gcp metadata {path} answered {status}")
            values[key] = body.strip()
    zone = values["zone"].rsplit("/", 1)[-1]
    return _pick({
        "cloud.provider": "gcp", "cloud.platform": "gcp_compute_engine",
        "cloud.account.id": values["project"], "cloud.availability_zone": zone,
        "cloud.region": zone.rsplit("-", 1)[0] if "-" in zone else "",
        "host.type": values["machine"].rsplit("/", 1)[-1], "host.id": values["id"],
        "host.name": values["name"], "gcp.gce.instance.name": values["name"],
        "gcp.gce.instance.hostname": values["hostname"],
    }, wanted)


# --- azure ---------------------------------------------------------------------------------

async def _azure_compute(base: str) -> dict[str, Any]:
    url = f"{base.rstrip('/')}/metadata/instance/compute?api-version=2020-09-01&format=json"
    async with _session() as session:
        status, body = await _fetch(session, "GET", url, {"Metadata": "True"})
    if status != 200:
        raise _Absent(f"Azure IMDS replied with status code: {status}")
    try:
        compute = _json_object(body, "failed to decode Azure IMDS reply")
    except DetectionError as exc:
        raise _Absent(str(exc)) from None
    return {k.lower(): v for k, v in compute.items()}  # Go's JSON field match ignores case


async def detect_azure(base: str, wanted: frozenset[str],
                       log: logging.Logger) -> dict[str, Any]:
    try:
        c = await _azure_compute(base)
    except _Absent as exc:
        log.debug("Azure detector metadata retrieval failed: %s", exc)
        return {}
    return _pick({
        "cloud.provider": "azure", "cloud.platform": "azure_vm",
        "host.name": c.get("name", ""), "cloud.region": c.get("location", ""),
        "host.id": c.get("vmid", ""), "cloud.account.id": c.get("subscriptionid", ""),
        "azure.vm.name": c.get("name", ""), "azure.vm.size": c.get("vmsize", ""),
        "azure.vm.scaleset.name": c.get("vmscalesetname", ""),
        "azure.resourcegroup.name": c.get("resourcegroupname", ""),
    }, wanted)


async def detect_aks(base: str, environ: Mapping[str, str], wanted: frozenset[str],
                     log: logging.Logger) -> dict[str, Any]:
    if not environ.get("KUBERNETES_SERVICE_HOST"):
        return {}
    try:
        await _azure_compute(base)
    except _Absent as exc:
        log.debug("AKS detector: Azure IMDS unavailable: %s", exc)
        return {}
    return _pick({"cloud.provider": "azure", "cloud.platform": "azure_aks"}, wanted)
