"""The AWS credential chain of the ec2 (tags) and eks detectors, against local STS,
container-credentials and instance-metadata servers serving the documented answers."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from otelpy.processors.resourcedetection.awscreds import Credentials, credentials
from otelpy.processors.resourcedetection.local import DetectionError

from .metadata_servers import (
    EC2_ROLE,
    STS_CREDENTIALS,
    Recorder,
    container_credentials_app,
    ec2_app,
    serving,
    sts_app,
)

ROLE = Credentials(EC2_ROLE["AccessKeyId"], EC2_ROLE["SecretAccessKey"], EC2_ROLE["Token"])
NO_IMDS = "http://127.0.0.1:1"  # nothing listens: the instance role is not reachable


async def chain(environ: dict[str, str], imds: str = NO_IMDS, region: str = "") -> Credentials:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        return await credentials(session, environ, imds, region)


async def test_environment_comes_first(tmp_path: Path) -> None:
    (tmp_path / "creds").write_text("[default]\naws_access_key_id = F\naws_secret_access_key = f\n")
    got = await chain({"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
                       "AWS_SESSION_TOKEN": "tok",
                       "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "creds")})
    assert got == Credentials("AKID", "secret", "tok")


async def test_shared_credentials_file_by_profile(tmp_path: Path) -> None:
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(
        "[default]\naws_access_key_id = DEF\naws_secret_access_key = d\n\n"
        "[prod]\naws_access_key_id = PROD\naws_secret_access_key = p\n"
        "aws_session_token = pt\n")
    assert await chain({"HOME": str(tmp_path)}) == Credentials("DEF", "d")
    assert await chain({"HOME": str(tmp_path), "AWS_PROFILE": "prod"}) == Credentials(
        "PROD", "p", "pt")


async def test_web_identity_is_exchanged_with_sts(tmp_path: Path) -> None:
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.payload.signature"
    (tmp_path / "token").write_text(token + "\n")
    rec = Recorder()
    async with serving(sts_app(rec, token)) as sts:
        got = await chain({"AWS_WEB_IDENTITY_TOKEN_FILE": str(tmp_path / "token"),
                           "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/otelpy",
                           "AWS_ENDPOINT_URL_STS": f"http://{sts}"}, region="us-west-2")
    assert got == Credentials(STS_CREDENTIALS["AccessKeyId"],
                              STS_CREDENTIALS["SecretAccessKey"],
                              STS_CREDENTIALS["SessionToken"])
    [(method, path, headers)] = rec.requests
    assert method == "POST" and path == "/"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in headers  # AssumeRoleWithWebIdentity is not signed


async def test_web_identity_refused_is_an_error_not_a_fall_through(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("expired")
    async with serving(sts_app(Recorder(), "another")) as sts, \
            serving(ec2_app(Recorder())) as imds:
        with pytest.raises(DetectionError, match="web identity: AssumeRoleWithWebIdentity "
                                                 "answered 400: .*InvalidIdentityToken"):
            await chain({"AWS_WEB_IDENTITY_TOKEN_FILE": str(tmp_path / "token"),
                         "AWS_ROLE_ARN": "arn:aws:iam::1:role/r",
                         "AWS_ENDPOINT_URL": f"http://{sts}"}, imds=f"http://{imds}")


async def test_container_credentials_with_the_token_file(tmp_path: Path) -> None:
    (tmp_path / "pod-token").write_text("pod-identity-token\n")
    rec = Recorder()
    async with serving(container_credentials_app(rec, "pod-identity-token")) as agent:
        got = await chain({"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{agent}/v1/credentials",
                           "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(tmp_path / "pod-token")})
        assert got == ROLE
        got = await chain({"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{agent}/v1/credentials",
                           "AWS_CONTAINER_AUTHORIZATION_TOKEN": "pod-identity-token"})
        assert got == ROLE
        with pytest.raises(DetectionError, match="container credentials: GET .* answered 401"):
            await chain({"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{agent}/v1/credentials"})
    assert len(rec.requests) == 3


async def test_instance_role_last() -> None:
    rec = Recorder()
    async with serving(ec2_app(rec)) as imds:
        assert await chain({}, imds=f"http://{imds}") == ROLE
    assert [r[1] for r in rec.requests][-1] == "/latest/meta-data/iam/security-credentials/" \
        "eks-node-role"


async def test_nothing_configured_and_no_metadata_is_an_error() -> None:
    with pytest.raises(DetectionError, match="no AWS credentials: instance role"):
        await chain({})
