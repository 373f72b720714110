"""resourcedetection k8snode and eks against the fake Kubernetes API server (through a
kubeconfig), the local IMDSv2 stand-in and a local EC2 API (DescribeInstances) that
checks the Signature V4 the detector sends; a failed detector is logged and skipped."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from otelpy.processors.resourcedetection import ResourceDetectionConfig
from otelpy.processors.resourcedetection.ec2api import Credentials, sign_v4
from otelpy.processors.resourcedetection.kube import parse_provider_id
from otelpy.processors.resourcedetection.processor import Detection
from otelpy.telemetry import Telemetry
from otelpy.testing.k8sapi import FakeKubeAPI, write_kubeconfig
from otelpy.testing.process import free_port

from .metadata_servers import EC2_HOSTNAME, EC2_ROLE, Recorder, ec2_api_app, ec2_app, serving
from .test_detectors import results, settings

NODES = "/api/v1/nodes"
NODE = {"metadata": {"name": "ip-192-168-1-88.eu-west-1.compute.internal",
                     "uid": "8f1d3e3c-7b0a-4d6e-9d2a-5c0e1f2a3b4c",
                     "labels": {"kubernetes.io/os": "linux"}},
        "spec": {"providerID": "aws:///eu-west-1c/i-0a1b2c3d4e5f60789"}}
EKS_VERSION = {"major": "1", "minor": "30+", "gitVersion": "v1.30.4-eks-a737599",
               "platform": "linux/amd64"}
ALL_EKS = {k: {"enabled": True} for k in (
    "cloud.account.id", "cloud.region", "cloud.availability_zone", "host.name", "host.id",
    "host.image.id", "host.type", "k8s.cluster.name")}


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[tuple[FakeKubeAPI, str]]:
    api = FakeKubeAPI()
    api.collection(NODES, "Node", "v1")
    await api.add(NODES, NODE)
    url = await api.start()
    yield api, str(write_kubeconfig(tmp_path, url))
    await api.stop()


async def detect(config: dict[str, Any], environ: dict[str, str],
                 telemetry: Telemetry | None = None) -> dict[str, Any]:
    cfg = ResourceDetectionConfig.model_validate(config)
    assert cfg.validate_config() == []
    return await Detection(cfg, settings(telemetry), environ).run()


# --- k8snode -----------------------------------------------------------------------------

async def test_k8snode_reads_the_node_named_by_the_env_var(
        kube: tuple[FakeKubeAPI, str]) -> None:
    api, kubeconfig = kube
    got = await detect({"detectors": ["k8snode"],
                        "k8snode": {"auth_type": "kubeConfig", "kubeconfig": kubeconfig}},
                       {"K8S_NODE_NAME": NODE["metadata"]["name"]})
    assert got == {"k8s.node.uid": "8f1d3e3c-7b0a-4d6e-9d2a-5c0e1f2a3b4c",
                   "k8s.node.name": "ip-192-168-1-88.eu-west-1.compute.internal"}
    assert [(r.path, r.authorization) for r in api.requests] == [
        (f"{NODES}/ip-192-168-1-88.eu-west-1.compute.internal", "Bearer test-token")]


async def test_k8snode_other_env_var_and_toggles(kube: tuple[FakeKubeAPI, str]) -> None:
    _, kubeconfig = kube
    got = await detect({"detectors": ["k8snode"], "k8snode": {
        "auth_type": "kubeConfig", "kubeconfig": kubeconfig, "node_from_env_var": "MY_NODE",
        "resource_attributes": {"k8s.node.name": {"enabled": False}}}},
        {"MY_NODE": NODE["metadata"]["name"], "K8S_NODE_NAME": "elsewhere"})
    assert got == {"k8s.node.uid": "8f1d3e3c-7b0a-4d6e-9d2a-5c0e1f2a3b4c"}


@pytest.mark.parametrize(("environ", "logged"), [
    ({}, "node name can't be found: set the K8S_NODE_NAME environment variable"),
    ({"K8S_NODE_NAME": "no-such-node"}, '404 nodes "no-such-node" not found'),
], ids=["no-env-var", "unknown-node"])
async def test_k8snode_failure_is_logged_and_skipped(
        kube: tuple[FakeKubeAPI, str], caplog: pytest.LogCaptureFixture,
        environ: dict[str, str], logged: str) -> None:
    _, kubeconfig = kube
    telemetry = Telemetry()
    with caplog.at_level(logging.WARNING):
        got = await detect({"detectors": ["k8snode", "env"], "k8snode": {
            "auth_type": "kubeConfig", "kubeconfig": kubeconfig}},
            {**environ, "OTEL_RESOURCE_ATTRIBUTES": "team=core"}, telemetry)
    assert got == {"team": "core"}
    assert results(telemetry, "k8snode", "failure") == 1
    assert results(telemetry, "env", "success") == 1
    assert logged in caplog.text and "detector k8snode" in caplog.text


async def test_k8snode_without_an_api_server_is_a_failure(tmp_path: Path) -> None:
    telemetry = Telemetry()
    kubeconfig = write_kubeconfig(tmp_path, f"http://127.0.0.1:{free_port()}")
    got = await detect({"detectors": ["k8snode"], "k8snode": {
        "auth_type": "kubeConfig", "kubeconfig": str(kubeconfig)}},
        {"K8S_NODE_NAME": "n"}, telemetry)
    assert got == {} and results(telemetry, "k8snode", "failure") == 1


# --- eks ---------------------------------------------------------------------------------

def eks_config(kubeconfig: str, **extra: Any) -> dict[str, Any]:
    return {"detectors": ["eks"], "eks": {"auth_type": "kubeConfig",
                                          "kubeconfig": kubeconfig, **extra}}


async def test_eks_outside_kubernetes_detects_nothing_and_asks_nobody(
        kube: tuple[FakeKubeAPI, str]) -> None:
    api, kubeconfig = kube
    telemetry = Telemetry()
    assert await detect(eks_config(kubeconfig), {}, telemetry) == {}
    assert api.requests == [] and results(telemetry, "eks", "success") == 1


async def test_eks_on_another_kubernetes_detects_nothing(
        kube: tuple[FakeKubeAPI, str]) -> None:
    api, kubeconfig = kube
    got = await detect(eks_config(kubeconfig), {"KUBERNETES_SERVICE_HOST": "10.0.0.1"})
    assert got == {} and [r.path for r in api.requests] == ["/version"]


async def test_eks_defaults_are_provider_and_platform(kube: tuple[FakeKubeAPI, str]) -> None:
    api, kubeconfig = kube
    api.version_info = EKS_VERSION
    rec = Recorder()
    async with serving(ec2_app(rec)) as imds:
        got = await detect(eks_config(kubeconfig), {
            "KUBERNETES_SERVICE_HOST": "10.0.0.1",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{imds}"})
    assert got == {"cloud.provider": "aws", "cloud.platform": "aws_eks"}


def _check_signature(ec2_rec: Recorder, creds: Credentials, region: str) -> None:
    [(method, path_qs, headers)] = ec2_rec.requests
    lowered = {k.lower(): v for k, v in headers.items()}
    signed = ["host", "x-amz-date"] + (["x-amz-security-token"] if creds.token else [])
    expected = sign_v4(method, f"http://{lowered['host']}{path_qs}",
                       {k: lowered[k] for k in signed}, b"", creds, region, "ec2",
                       lowered["x-amz-date"])
    assert lowered["authorization"] == expected
    assert f"/{region}/ec2/aws4_request" in expected


async def test_eks_with_imds_and_the_cluster_name_from_instance_tags(
        kube: tuple[FakeKubeAPI, str]) -> None:
    api, kubeconfig = kube
    api.version_info = EKS_VERSION
    imds_rec, ec2_rec = Recorder(), Recorder()
    async with serving(ec2_app(imds_rec)) as imds, \
            serving(ec2_api_app(ec2_rec, {"Name": "node", "aws:eks:cluster-name": "prod",
                                          "kubernetes.io/cluster/other": "owned"})) as ec2:
        got = await detect(eks_config(kubeconfig, resource_attributes=ALL_EKS), {
            "KUBERNETES_SERVICE_HOST": "10.0.0.1",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{imds}",
            "AWS_ENDPOINT_URL_EC2": f"http://{ec2}"})
    assert got == {"cloud.provider": "aws", "cloud.platform": "aws_eks",
                   "cloud.region": "us-west-2", "cloud.account.id": "123456789012",
                   "cloud.availability_zone": "us-west-2b", "host.id": "i-1234567890abcdef0",
                   "host.image.id": "ami-5fb8c835", "host.type": "t2.micro",
                   "host.name": EC2_HOSTNAME, "k8s.cluster.name": "prod"}
    # the instance role's credentials came from IMDS (with the IMDSv2 token)
    assert ("GET", "/latest/meta-data/iam/security-credentials/eks-node-role") in [
        r[:2] for r in imds_rec.requests]
    assert "InstanceId.1=i-1234567890abcdef0" in ec2_rec.requests[0][1]
    _check_signature(ec2_rec, Credentials(EC2_ROLE["AccessKeyId"],
                                          EC2_ROLE["SecretAccessKey"], EC2_ROLE["Token"]),
                     "us-west-2")


async def test_eks_without_imds_reads_the_node_provider_id(
        kube: tuple[FakeKubeAPI, str]) -> None:
    api, kubeconfig = kube
    api.version_info = EKS_VERSION
    ec2_rec = Recorder()
    async with serving(ec2_api_app(ec2_rec, {"kubernetes.io/cluster/staging": "owned"})) as ec2:
        got = await detect(eks_config(kubeconfig, node_from_env_var="K8S_NODE_NAME",
                                      resource_attributes=ALL_EKS), {
            "KUBERNETES_SERVICE_HOST": "10.0.0.1", "K8S_NODE_NAME": NODE["metadata"]["name"],
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{free_port()}",
            "AWS_ENDPOINT_URL": f"http://{ec2}", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret"})
    assert got == {"cloud.provider": "aws", "cloud.platform": "aws_eks",
                   "cloud.region": "eu-west-1", "cloud.availability_zone": "eu-west-1c",
                   "host.id": "i-0a1b2c3d4e5f60789", "cloud.account.id": "123456789012",
                   "host.image.id": "ami-bff32ccc", "host.type": "t2.micro",
                   "host.name": "ip-192-168-1-88.eu-west-1.compute.internal",
                   "k8s.cluster.name": "staging"}
    assert [r.path for r in api.requests] == [
        "/version", f"{NODES}/ip-192-168-1-88.eu-west-1.compute.internal"]
    _check_signature(ec2_rec, Credentials("AKIDEXAMPLE", "secret"), "eu-west-1")


@pytest.mark.parametrize(("environ", "logged"), [
    ({}, "node name is empty"),
    ({"K8S_NODE_NAME": "ip-192-168-1-88.eu-west-1.compute.internal",
      "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "no AWS credentials"),
], ids=["no-node-name", "no-credentials"])
async def test_eks_failures_are_logged_and_skipped(
        kube: tuple[FakeKubeAPI, str], caplog: pytest.LogCaptureFixture,
        environ: dict[str, str], logged: str) -> None:
    api, kubeconfig = kube
    api.version_info = EKS_VERSION
    telemetry = Telemetry()
    with caplog.at_level(logging.WARNING):
        got = await detect(eks_config(kubeconfig, node_from_env_var="K8S_NODE_NAME"), {
            "KUBERNETES_SERVICE_HOST": "10.0.0.1",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{free_port()}",
            **environ}, telemetry)
    assert got == {} and results(telemetry, "eks", "failure") == 1
    assert logged in caplog.text


@pytest.mark.parametrize(("provider_id", "want"), [
    ("aws:///us-west-2a/i-049ca2df511bec762", ("us-west-2", "us-west-2a",
                                               "i-049ca2df511bec762")),
    ("aws:///us-west-2a/", ("", "", "")),
    ("gce://project/zone/name", ("", "", "")),
    ("", ("", "", "")),
], ids=["eks", "no-instance", "gce", "empty"])
def test_provider_id(provider_id: str, want: tuple[str, str, str]) -> None:
    assert parse_provider_id(provider_id) == want


def test_signature_v4_matches_the_aws_documented_example() -> None:
    # the GET ListUsers example of the AWS Signature Version 4 documentation
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
               "Host": "iam.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
    got = sign_v4("GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
                  headers, b"", Credentials("AKIDEXAMPLE",
                                            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                  "us-east-1", "iam", "20150830T123600Z")
    assert got == ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/"
                   "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
                   "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
