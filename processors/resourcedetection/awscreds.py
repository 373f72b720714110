"""AWS credentials for the EC2 API calls of the ec2 (``tags``) and eks detectors, in the
order of the AWS SDK's default chain:

1. the environment: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``;
2. the shared credentials file (``AWS_SHARED_CREDENTIALS_FILE``, else
   ``~/.aws/credentials``), profile ``AWS_PROFILE`` or ``default``;
3. web identity (EKS IAM roles for service accounts): ``AWS_WEB_IDENTITY_TOKEN_FILE`` and
   ``AWS_ROLE_ARN`` exchanged with STS ``AssumeRoleWithWebIdentity`` (unsigned; endpoint
   ``AWS_ENDPOINT_URL_STS``, ``AWS_ENDPOINT_URL``, else ``https://sts.<region>.amazonaws.com``;
   session name ``AWS_ROLE_SESSION_NAME`` or ``otelpy-<unix time>``);
4. container credentials (ECS tasks, EKS Pod Identity): ``AWS_CONTAINER_CREDENTIALS_FULL_URI``
   or ``http://169.254.170.2`` + ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI``, with
   ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`` / ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` as the
   ``Authorization`` header;
5. the instance role from EC2 metadata (``/latest/meta-data/iam/security-credentials/``).

The first source that is configured decides: when it fails, that is the error (as the SDK
does), it does not fall through to the next.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from otelpy.processors.resourcedetection.local import DetectionError

__all__ = ["Credentials", "credentials"]

_MAX_BODY = 1024 * 1024
_ERRORS = (aiohttp.ClientError, OSError, TimeoutError, ValueError, configparser.Error)


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str = ""


async def credentials(session: aiohttp.ClientSession, environ: Mapping[str, str],
                      imds: str, region: str = "") -> Credentials:
    """The first configured source's credentials; DetectionError when it fails or none is."""
    if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
        return Credentials(environ["AWS_ACCESS_KEY_ID"], environ["AWS_SECRET_ACCESS_KEY"],
                           environ.get("AWS_SESSION_TOKEN", ""))
    sources = [("shared credentials file", _shared_file),
               ("web identity", lambda s, e: _web_identity(s, e, region)),
               ("container credentials", _container),
               ("instance role", lambda s, e: _instance_role(s, imds))]
    for what, source in sources:
        try:
            found = await source(session, environ)
        except _ERRORS as exc:
            raise DetectionError(f"no AWS credentials: {what}: {exc}") from None
        if found is not None:
            return found
    raise DetectionError("no AWS credentials (environment, shared file, web identity, "
                         "container or instance role)")


async def _shared_file(_session: aiohttp.ClientSession,
                       environ: Mapping[str, str]) -> Credentials | None:
    path = environ.get("AWS_SHARED_CREDENTIALS_FILE") or (
        str(Path(environ["HOME"]) / ".aws" / "credentials") if environ.get("HOME") else "")
    if not path or not await asyncio.to_thread(Path(path).is_file):
        return None
    parser = configparser.ConfigParser()
    parser.read_string(await asyncio.to_thread(Path(path).read_text, "utf-8"))
    profile = environ.get("AWS_PROFILE") or "default"
    if not parser.has_section(profile):
        return None
    section = parser[profile]
    if not section.get("aws_access_key_id") or not section.get("aws_secret_access_key"):
        return None
    return Credentials(section["aws_access_key_id"], section["aws_secret_access_key"],
                       section.get("aws_session_token", ""))


async def _web_identity(session: aiohttp.ClientSession, environ: Mapping[str, str],
                        region: str) -> Credentials | None:
    token_file, role = environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"), environ.get("AWS_ROLE_ARN")
    if not token_file or not role:
        return None
    token = (await asyncio.to_thread(Path(token_file).read_text, "utf-8")).strip()
    url = (environ.get("AWS_ENDPOINT_URL_STS") or environ.get("AWS_ENDPOINT_URL")
           or f"https://sts.{region or 'us-east-1'}.amazonaws.com").rstrip("/") + "/"
    form = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": role,
            "RoleSessionName": environ.get("AWS_ROLE_SESSION_NAME")
            or f"otelpy-{int(time.time())}", "WebIdentityToken": token}
    async with session.post(url, data=urllib.parse.urlencode(form), headers={
            "Content-Type": "application/x-www-form-urlencoded"}) as resp:
        body = await resp.content.read(_MAX_BODY)
        if resp.status != 200:
            raise ValueError(f"AssumeRoleWithWebIdentity answered {resp.status}: "
                             f"{body[:200].decode('utf-8', 'replace')}")
    found = {_local(e.tag): (e.text or "").strip() for e in ET.fromstring(body).iter()}
    if not found.get("AccessKeyId"):
        raise ValueError("AssumeRoleWithWebIdentity answered without Credentials")
    return Credentials(found["AccessKeyId"], found.get("SecretAccessKey", ""),
                       found.get("SessionToken", ""))


async def _container(session: aiohttp.ClientSession,
                     environ: Mapping[str, str]) -> Credentials | None:
    url = environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or (
        "http://169.254.170.2" + environ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]
        if environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") else "")
    if not url:
        return None
    token_file = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    token = ((await asyncio.to_thread(Path(token_file).read_text, "utf-8")).strip()
             if token_file else environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN", ""))
    doc = json.loads(await _text(session, url, {"Authorization": token} if token else {}))
    return _from_json(doc)


async def _imds_headers(session: aiohttp.ClientSession, imds: str) -> dict[str, str]:
    """IMDSv2 token header, or none when the service only speaks IMDSv1."""
    url = f"{imds}/latest/api/token"
    async with session.put(url, headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"}
                           ) as resp:
        token = (await resp.content.read(_MAX_BODY)).decode("utf-8", "replace")
        return {"X-aws-ec2-metadata-token": token} if resp.status == 200 else {}


async def _instance_role(session: aiohttp.ClientSession, imds: str) -> Credentials | None:
    imds = imds.rstrip("/")
    base = f"{imds}/latest/meta-data/iam/security-credentials/"
    headers = await _imds_headers(session, imds)
    roles = (await _text(session, base, headers)).split()
    if not roles:
        return None
    return _from_json(json.loads(await _text(session, base + roles[0], headers)))


def _from_json(doc: object) -> Credentials:
    if not isinstance(doc, dict) or not doc.get("AccessKeyId"):
        raise ValueError("the answer holds no AccessKeyId")
    return Credentials(str(doc["AccessKeyId"]), str(doc.get("SecretAccessKey", "")),
                       str(doc.get("Token", "")))


async def _text(session: aiohttp.ClientSession, url: str,
                headers: Mapping[str, str]) -> str:
    async with session.get(url, headers=dict(headers)) as resp:
        body = await resp.content.read(_MAX_BODY)
        if resp.status != 200:
            raise ValueError(f"GET {url} answered {resp.status}")
        return body.decode("utf-8", "replace")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
