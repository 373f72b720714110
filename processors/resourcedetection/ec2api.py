"""The EC2 Query API, signed with AWS Signature Version 4: ``DescribeTags`` for the ec2
detector's ``tags`` (the instance's tags, filtered on its resource ID), and
``DescribeInstances`` for one instance as the eks detector uses it (the Collector's
metadataproviders/aws/eks ``GetInstanceMetadata``): the reservation's owner (account ID),
the instance's image, type, private DNS name and the EKS cluster name from its tags
(``aws:eks:cluster-name``, ``eks:cluster-name``, or the key ``kubernetes.io/cluster/<name>``,
the first tag that matches).

Credentials come from :mod:`awscreds` (the AWS SDK's default chain). Endpoint:
``AWS_ENDPOINT_URL_EC2``, else ``AWS_ENDPOINT_URL``, else ``https://ec2.<region>.amazonaws.com``.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from otelpy.processors.resourcedetection.awscreds import Credentials
from otelpy.processors.resourcedetection.local import DetectionError

__all__ = ["Credentials", "InstanceFacts", "describe_instance", "describe_tags", "sign_v4"]

_MAX_BODY = 1024 * 1024
_API_VERSION = "2016-11-15"
_MAX_PAGES = 20
_CLUSTER_TAGS = ("aws:eks:cluster-name", "eks:cluster-name")
_CLUSTER_PREFIX = "kubernetes.io/cluster/"


@dataclass(frozen=True)
class InstanceFacts:
    account_id: str = ""
    image_id: str = ""
    instance_type: str = ""
    hostname: str = ""
    cluster_name: str = ""


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


def sign_v4(method: str, url: str, headers: Mapping[str, str], body: bytes,
            creds: Credentials, region: str, service: str, amz_date: str) -> str:
    """The ``Authorization`` header value for the request (``headers`` must hold ``host``
    and ``x-amz-date`` and every header to sign; names in any case)."""
    parts = urllib.parse.urlsplit(url)
    query = sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    canonical_query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query)
    lowered = sorted((k.lower(), " ".join(v.split())) for k, v in headers.items())
    signed = ";".join(k for k, _ in lowered)
    canonical = "\n".join([method, parts.path or "/", canonical_query,
                           "".join(f"{k}:{v}\n" for k, v in lowered), signed,
                           hashlib.sha256(body).hexdigest()])
    day = amz_date[:8]
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{creds.secret_key}".encode(), day), region),
                      service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (f"AWS4-HMAC-SHA256 Credential={creds.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}")


def endpoint(environ: Mapping[str, str], region: str) -> str:
    return (environ.get("AWS_ENDPOINT_URL_EC2") or environ.get("AWS_ENDPOINT_URL")
            or f"https://ec2.{region}.amazonaws.com").rstrip("/")


async def _call(session: aiohttp.ClientSession, environ: Mapping[str, str],
                creds: Credentials, region: str, params: dict[str, str], what: str) -> bytes:
    """One signed EC2 Query API GET; its XML body, DetectionError on any failure."""
    query = urllib.parse.urlencode({**params, "Version": _API_VERSION})
    url = f"{endpoint(environ, region)}/?{query}"
    amz_date = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = {"host": urllib.parse.urlsplit(url).netloc, "x-amz-date": amz_date}
    if creds.token:
        headers["x-amz-security-token"] = creds.token
    headers["Authorization"] = sign_v4("GET", url, headers, b"", creds, region, "ec2",
                                       amz_date)
    try:
        async with session.get(url, headers=headers) as resp:
            body = await resp.content.read(_MAX_BODY)
            status = resp.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise DetectionError(f"failed to get {what}: {exc}") from None
    if status != 200:
        raise DetectionError(f"failed to get {what}: {params['Action']} answered "
                             f"{status}: {body[:200].decode('utf-8', 'replace')}")
    return body


async def describe_instance(session: aiohttp.ClientSession, environ: Mapping[str, str],
                            creds: Credentials, region: str, instance_id: str,
                            ) -> InstanceFacts:
    """DescribeInstances for ``instance_id``; DetectionError on any failure."""
    body = await _call(session, environ, creds, region,
                       {"Action": "DescribeInstances", "InstanceId.1": instance_id},
                       "instance metadata")
    return parse_describe_instances(body)


async def describe_tags(session: aiohttp.ClientSession, environ: Mapping[str, str],
                        creds: Credentials, region: str, instance_id: str,
                        ) -> dict[str, str]:
    """The instance's tags (DescribeTags filtered on its resource ID, every page up to
    ``_MAX_PAGES``); DetectionError on any failure."""
    tags: dict[str, str] = {}
    params = {"Action": "DescribeTags", "Filter.1.Name": "resource-id",
              "Filter.1.Value.1": instance_id}
    for _ in range(_MAX_PAGES):
        body = await _call(session, environ, creds, region, params, "ec2 instance tags")
        page, token = parse_describe_tags(body)
        tags.update(page)
        if not token:
            break
        params = {**params, "NextToken": token}
    return tags


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in elem if _local(c.tag) == name), None)


def _items(elem: ET.Element | None, name: str) -> list[ET.Element]:
    found = _child(elem, name) if elem is not None else None
    return [c for c in found if _local(c.tag) == "item"] if found is not None else []


def _value(elem: ET.Element | None, name: str) -> str:
    found = _child(elem, name) if elem is not None else None
    return (found.text or "").strip() if found is not None else ""


def parse_describe_instances(body: bytes) -> InstanceFacts:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise DetectionError(f"failed to get instance metadata: {exc}") from None
    reservations = _items(root, "reservationSet")
    cluster = ""
    for reservation in reservations:
        for instance in _items(reservation, "instancesSet"):
            for tag in _items(instance, "tagSet"):
                key, value = _value(tag, "key"), _value(tag, "value")
                if not cluster and key in _CLUSTER_TAGS:
                    cluster = value
                elif not cluster and key.startswith(_CLUSTER_PREFIX):
                    cluster = key[len(_CLUSTER_PREFIX):]
    if not reservations or not _items(reservations[0], "instancesSet"):
        return InstanceFacts(cluster_name=cluster)
    first = _items(reservations[0], "instancesSet")[0]
    return InstanceFacts(account_id=_value(reservations[0], "ownerId"),
                         image_id=_value(first, "imageId"),
                         instance_type=_value(first, "instanceType"),
                         hostname=_value(first, "privateDnsName"), cluster_name=cluster)


def parse_describe_tags(body: bytes) -> tuple[dict[str, str], str]:
    """A DescribeTags answer's key/value pairs and its ``nextToken`` ("" on the last page)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise DetectionError(f"failed to get ec2 instance tags: {exc}") from None
    tags = {_value(item, "key"): _value(item, "value") for item in _items(root, "tagSet")}
    return tags, _value(root, "nextToken")
