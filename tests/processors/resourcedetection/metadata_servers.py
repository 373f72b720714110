"""Local stand-ins for the metadata services the cloud detectors read, serving the responses
each provider documents (real aiohttp servers on loopback ports or unix sockets).

* EC2 IMDSv2: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
  (PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds, then the token in
  X-aws-ec2-metadata-token; 401 without it) and the identity document example of
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-identity-documents.html
* GCE: https://cloud.google.com/compute/docs/metadata/querying-metadata (Metadata-Flavor:
  Google required, 403 otherwise; answers carry Metadata-Flavor: Google) and the value
  formats of https://cloud.google.com/compute/docs/metadata/predefined-metadata-keys
* Azure IMDS: https://learn.microsoft.com/azure/virtual-machines/instance-metadata-service
  (Metadata: true required, api-version required; 400 otherwise) and its sample compute
  response.
* EC2 instance role credentials: GET /latest/meta-data/iam/security-credentials/ (the role
  name), then .../<role> (AccessKeyId, SecretAccessKey, Token), as
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
* EC2 API DescribeInstances and DescribeTags (Query API, version 2016-11-15, XML answers) as
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html and
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html show them
  (DescribeTags pages of two tags with nextToken)
* STS AssumeRoleWithWebIdentity (Query API 2011-06-15, form POST, XML answer) as
  https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
  shows it; container credentials (JSON with AccessKeyId, SecretAccessKey, Token) as
  https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
* Docker Engine API: GET /info (SystemInfo: Name, OSType, ...),
  https://docs.docker.com/reference/api/engine/version/v1.45/#tag/System/operation/SystemInfo
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

EC2_IDENTITY = {
    "devpayProductCodes": None, "marketplaceProductCodes": ["1abc2defghijklm3nopqrs4tu"],
    "availabilityZone": "us-west-2b", "privateIp": "10.158.112.84", "version": "2017-09-30",
    "instanceId": "i-1234567890abcdef0", "billingProducts": None, "instanceType": "t2.micro",
    "accountId": "123456789012", "imageId": "ami-5fb8c835",
    "pendingTime": "2016-11-19T16:32:11Z", "architecture": "x86_64", "kernelId": None,
    "ramdiskId": None, "region": "us-west-2",
}
EC2_HOSTNAME = "ip-10-158-112-84.us-west-2.compute.internal"
GCE = {
    "project/project-id": "my-project", "instance/id": "4520031799277581759",
    "instance/name": "my-instance", "instance/hostname": "my-instance.c.my-project.internal",
    "instance/zone": "projects/123456789/zones/us-central1-f",
    "instance/machine-type": "projects/123456789/machineTypes/n1-standard-1",
}
AZURE_COMPUTE = {
    "azEnvironment": "AzurePublicCloud", "location": "westus", "name": "examplevmname",
    "offer": "UbuntuServer", "osType": "Linux", "resourceGroupName": "macikgo-test-may-23",
    "subscriptionId": "xxxxxxxx-xxxxx-xxx-xxx-xxxx", "vmId": "02aab8a4-74ef-476e-8182-f6d2ba4166a6",
    "vmScaleSetName": "crpteste9vflji9", "vmSize": "Standard_A3", "zone": "",
}
DOCKER_INFO = {"ID": "7TRN:IPZB:QYBB:VPBQ:UWYJ:KH6N:E3OH:O7LC:ZRAW:3SQG:P3JS:FKTY",
               "Containers": 14, "Name": "node5.corp.example.com", "OSType": "linux",
               "OperatingSystem": "Alpine Linux v3.5", "Architecture": "x86_64",
               "KernelVersion": "4.9.38-moby"}


class Recorder:
    """What a fake service saw, and how it should misbehave."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.fail: dict[str, int] = {}  # path -> status to answer instead
        self.delay = 0.0


def _recording(rec: Recorder, handler: Callable[[web.Request], Any]) -> Any:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        rec.requests.append((request.method, request.path_qs, dict(request.headers)))
        if rec.delay:
            await asyncio.sleep(rec.delay)
        if request.path in rec.fail:
            return web.Response(status=rec.fail[request.path])
        return await handler(request)  # type: ignore[no-any-return]
    return wrapped


EC2_ROLE = {"Code": "Success", "LastUpdated": "2026-01-01T00:00:00Z", "Type": "AWS-HMAC",
            "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
            "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "Token": "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "Expiration": "2099-01-01T00:00:00Z"}


def ec2_app(rec: Recorder, imdsv1_only: bool = False) -> web.Application:
    token = "AQAEAFqK2a0Wz-token=="

    async def put_token(request: web.Request) -> web.Response:
        if imdsv1_only:
            return web.Response(status=404)
        if "X-aws-ec2-metadata-token-ttl-seconds" not in request.headers:
            return web.Response(status=400)
        return web.Response(text=token)

    def guarded(body: str) -> Callable[[web.Request], Any]:
        async def get(request: web.Request) -> web.Response:
            if not imdsv1_only and request.headers.get("X-aws-ec2-metadata-token") != token:
                return web.Response(status=401)
            return web.Response(text=body)
        return get

    app = web.Application()
    app.router.add_put("/latest/api/token", _recording(rec, put_token))
    for path, body in [("/latest/meta-data/instance-id", EC2_IDENTITY["instanceId"]),
                       ("/latest/dynamic/instance-identity/document",
                        json.dumps(EC2_IDENTITY, indent=2)),
                       ("/latest/meta-data/hostname", EC2_HOSTNAME),
                       ("/latest/meta-data/iam/security-credentials/", "eks-node-role"),
                       ("/latest/meta-data/iam/security-credentials/eks-node-role",
                        json.dumps(EC2_ROLE))]:
        app.router.add_get(path, _recording(rec, guarded(str(body))))
    return app


def describe_instances_xml(instance_id: str, tags: dict[str, str]) -> str:
    """A DescribeInstances answer for one instance (the API reference's example, trimmed)."""
    tag_items = "".join(f"<item><key>{k}</key><value>{v}</value></item>"
                        for k, v in tags.items())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1234567890abcdef0</reservationId>
      <ownerId>123456789012</ownerId>
      <groupSet/>
      <instancesSet>
        <item>
          <instanceId>{instance_id}</instanceId>
          <imageId>ami-bff32ccc</imageId>
          <instanceState><code>16</code><name>running</name></instanceState>
          <privateDnsName>ip-192-168-1-88.eu-west-1.compute.internal</privateDnsName>
          <dnsName>ec2-54-194-252-215.eu-west-1.compute.amazonaws.com</dnsName>
          <instanceType>t2.micro</instanceType>
          <placement><availabilityZone>eu-west-1c</availabilityZone></placement>
          <tagSet>{tag_items}</tagSet>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>"""


def describe_tags_xml(instance_id: str, tags: list[tuple[str, str]], next_token: str) -> str:
    """A DescribeTags answer (the API reference's example layout)."""
    items = "".join(f"<item><resourceId>{instance_id}</resourceId><resourceType>instance"
                    f"</resourceType><key>{k}</key><value>{v}</value></item>" for k, v in tags)
    token = f"<nextToken>{next_token}</nextToken>" if next_token else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <tagSet>{items}</tagSet>{token}
</DescribeTagsResponse>"""


def ec2_api_app(rec: Recorder, tags: dict[str, str]) -> web.Application:
    """DescribeInstances and DescribeTags (filtered on resource-id, two tags a page); 401
    (AuthFailure) without an AWS4-HMAC-SHA256 Authorization."""
    async def describe(request: web.Request) -> web.Response:
        if not request.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "):
            return web.Response(status=401, text="<Response><Errors><Error><Code>AuthFailure"
                                "</Code></Error></Errors></Response>")
        q = request.query
        if q.get("Action") == "DescribeInstances":
            return web.Response(text=describe_instances_xml(q["InstanceId.1"], tags),
                                content_type="text/xml")
        if q.get("Action") == "DescribeTags" and q.get("Filter.1.Name") == "resource-id":
            start = int(q.get("NextToken", "0"))
            page = list(tags.items())[start:start + 2]
            more = str(start + 2) if start + 2 < len(tags) else ""
            return web.Response(text=describe_tags_xml(q["Filter.1.Value.1"], page, more),
                                content_type="text/xml")
        return web.Response(status=400)

    app = web.Application()
    app.router.add_get("/", _recording(rec, describe))
    return app


def gce_app(rec: Recorder) -> web.Application:
    async def get(request: web.Request) -> web.Response:
        if request.headers.get("Metadata-Flavor") != "Google":
            return web.Response(status=403, text="Missing Metadata-Flavor:Google header.")
        key = request.match_info["key"]
        if key not in GCE:
            return web.Response(status=404)
        return web.Response(text=GCE[key], headers={"Metadata-Flavor": "Google"})

    app = web.Application()
    app.router.add_get("/computeMetadata/v1/{key:.*}", _recording(rec, get))
    return app


def azure_app(rec: Recorder) -> web.Application:
    async def compute(request: web.Request) -> web.Response:
        if request.headers.get("Metadata", "").lower() != "true":
            return web.json_response({"error": "Bad request. Required metadata header not "
                                               "specified"}, status=400)
        if "api-version" not in request.query:
            return web.json_response({"error": "Bad request. api-version was not specified "
                                               "in the request"}, status=400)
        return web.json_response(AZURE_COMPUTE)

    app = web.Application()
    app.router.add_get("/metadata/instance/compute", _recording(rec, compute))
    return app


STS_CREDENTIALS = {"AccessKeyId": "ASgeIAIOSFODNN7EXAMPLE",
                   "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                   "SessionToken": "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE"}


def sts_app(rec: Recorder, token: str) -> web.Application:
    """AssumeRoleWithWebIdentity: 400 (InvalidIdentityToken) unless the form carries
    ``token``, a role ARN and a session name."""
    async def assume(request: web.Request) -> web.Response:
        form = await request.post()
        if (form.get("Action") != "AssumeRoleWithWebIdentity" or not form.get("RoleArn")
                or not form.get("RoleSessionName") or form.get("WebIdentityToken") != token):
            return web.Response(status=400, text="<ErrorResponse><Error><Code>"
                                "InvalidIdentityToken</Code></Error></ErrorResponse>")
        c = STS_CREDENTIALS
        return web.Response(content_type="text/xml", text=f"""<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:otelpy:otelpy</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>{form["RoleArn"]}/{form["RoleSessionName"]}</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:{form["RoleSessionName"]}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>{c["SessionToken"]}</SessionToken>
      <SecretAccessKey>{c["SecretAccessKey"]}</SecretAccessKey>
      <Expiration>2099-10-24T23:00:23Z</Expiration>
      <AccessKeyId>{c["AccessKeyId"]}</AccessKeyId>
    </Credentials>
    <Audience>sts.amazonaws.com</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>""")

    app = web.Application()
    app.router.add_post("/", _recording(rec, assume))
    return app


def container_credentials_app(rec: Recorder, token: str) -> web.Application:
    """The container credentials endpoint: 401 unless Authorization is ``token``."""
    async def creds(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != token:
            return web.Response(status=401)
        return web.json_response({**EC2_ROLE, "RoleArn": "arn:aws:iam::123456789012:role/x"})

    app = web.Application()
    app.router.add_get("/v1/credentials", _recording(rec, creds))
    return app


def docker_app(rec: Recorder) -> web.Application:
    async def info(_request: web.Request) -> web.Response:
        return web.json_response(DOCKER_INFO)

    app = web.Application()
    app.router.add_get("/info", _recording(rec, info))
    return app


@asynccontextmanager
async def serving(app: web.Application, unix_path: str | None = None) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port (yields ``127.0.0.1:port``) or a unix socket."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site: web.BaseSite
    if unix_path is not None:
        site = web.UnixSite(runner, unix_path)
    else:
        site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield unix_path if unix_path is not None else f"127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
