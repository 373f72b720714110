"""resourcedetection: each detector against the documented responses of local stand-ins for
the metadata services (metadata_servers.py cites the provider docs), failures and timeouts,
merge order and override (the Collector's resourcedetection.go MergeResource semantics)."""

from __future__ import annotations

import logging
import os
import platform
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch
from otelpy.pdata.values import Attributes
from otelpy.processors.resourcedetection import ResourceDetectionConfig, ResourceDetectionProcessor
from otelpy.processors.resourcedetection.processor import Detection
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost, SinkConsumer

from .metadata_servers import (
    AZURE_COMPUTE,
    EC2_HOSTNAME,
    EC2_ROLE,
    Recorder,
    azure_app,
    docker_app,
    ec2_api_app,
    ec2_app,
    gce_app,
    serving,
)

EC2_WANT = {"cloud.provider": "aws", "cloud.platform": "aws_ec2", "cloud.region": "us-west-2",
            "cloud.account.id": "123456789012", "cloud.availability_zone": "us-west-2b",
            "host.id": "i-1234567890abcdef0", "host.image.id": "ami-5fb8c835",
            "host.type": "t2.micro", "host.name": EC2_HOSTNAME}


def settings(telemetry: Telemetry | None = None) -> Settings:
    return Settings(ComponentID("resourcedetection"), Kind.PROCESSOR,
                    logging.getLogger("test.resourcedetection"), telemetry or Telemetry())


async def detect(config: dict[str, Any], environ: dict[str, str],
                 telemetry: Telemetry | None = None, azure_base: str = "") -> dict[str, Any]:
    cfg = ResourceDetectionConfig.model_validate(config)
    assert cfg.validate_config() == []
    detection = Detection(cfg, settings(telemetry), environ,
                          **({"azure_base": azure_base} if azure_base else {}))
    return await detection.run()


def results(telemetry: Telemetry, detector: str, outcome: str) -> float:
    value = telemetry.registry.get_sample_value(
        "otelcol_resourcedetection_detector_results_total",
        {"processor": "resourcedetection", "detector": detector, "outcome": outcome})
    return value or 0.0


# --- env: the Collector's env_test.go cases ----------------------------------------------------

@pytest.mark.parametrize(("text", "want"), [
    ("key=value,k8s.pod.name=my-pod", {"key": "value", "k8s.pod.name": "my-pod"}),
    ("  key = value ,  k2=v2  ", {"key": "value", "k2": "v2"}),
    ("key=value%20with%2C%20comma", {"key": "value with, comma"}),
    ("key=a+b", {"key": "a b"}),  # url.QueryUnescape: + is a space
    ("key=", {"key": ""}),
    ("", {}),
], ids=["pairs", "spaces", "percent", "plus", "empty-value", "unset"])
async def test_env(text: str, want: dict[str, str]) -> None:
    assert await detect({"detectors": ["env"]}, {"OTEL_RESOURCE_ATTRIBUTES": text}) == want


@pytest.mark.parametrize("text", ["invalid", "key=value,invalid", "key=%zz", "key=%4"])
async def test_env_malformed_fails_the_detector(text: str) -> None:
    telemetry = Telemetry()
    assert await detect({"detectors": ["env"]}, {"OTEL_RESOURCE_ATTRIBUTES": text},
                        telemetry) == {}
    assert results(telemetry, "env", "failure") == 1


async def test_env_falls_back_to_deprecated_otel_resource() -> None:
    assert await detect({"detectors": ["env"]}, {"OTEL_RESOURCE": "a=b"}) == {"a": "b"}


# --- system ------------------------------------------------------------------------------

async def test_system_defaults_are_host_name_and_os_type() -> None:
    got = await detect({"detectors": ["system"], "system": {"hostname_sources": ["os"]}}, {})
    assert got == {"host.name": socket.gethostname(), "os.type": "linux"}


def _machine_id() -> str:
    return Path("/etc/machine-id").read_text().strip()


async def test_system_toggles() -> None:
    got = await detect({"detectors": ["system"], "system": {
        "hostname_sources": ["os"], "resource_attributes": {
            "host.id": {"enabled": True}, "host.arch": {"enabled": True},
            "os.description": {"enabled": True}, "os.type": {"enabled": False}}}}, {})
    machine_id = _machine_id()
    uname = os.uname()
    assert got["host.id"] == machine_id
    assert got["host.arch"] == {"x86_64": "amd64", "aarch64": "arm64"}.get(
        platform.machine(), platform.machine())
    assert got["os.description"].endswith(f"({uname.sysname} {uname.nodename} "
                                          f"{uname.release} {uname.version} {uname.machine})")
    assert "os.type" not in got and got["host.name"] == socket.gethostname()


async def test_system_dns_source_gives_the_canonical_name() -> None:
    got = await detect({"detectors": ["system"], "system": {"hostname_sources": ["dns"]}}, {})
    canon = socket.getaddrinfo(socket.gethostname(), None,
                               flags=socket.AI_CANONNAME)[0][3].rstrip(".")
    assert got["host.name"] == canon


# --- docker ------------------------------------------------------------------------------

async def test_docker_reads_info_over_the_unix_socket() -> None:
    rec = Recorder()
    path = os.path.join(tempfile.mkdtemp(prefix="rd", dir="/tmp"), "docker.sock")
    async with serving(docker_app(rec), unix_path=path):
        got = await detect({"detectors": ["docker"]}, {"DOCKER_HOST": f"unix://{path}"})
    assert got == {"host.name": "node5.corp.example.com", "os.type": "linux"}
    assert [r[:2] for r in rec.requests] == [("GET", "/info")]


async def test_docker_without_a_daemon_is_a_logged_failure(
        caplog: pytest.LogCaptureFixture) -> None:
    telemetry = Telemetry()
    with caplog.at_level(logging.WARNING):
        got = await detect({"detectors": ["docker", "env"]},
                           {"DOCKER_HOST": "unix:///nonexistent/docker.sock",
                            "OTEL_RESOURCE_ATTRIBUTES": "a=b"}, telemetry)
    assert got == {"a": "b"}  # the others still merge
    assert results(telemetry, "docker", "failure") == 1
    assert results(telemetry, "env", "success") == 1
    assert "failed to detect resource: detector docker" in caplog.text


# --- ec2 ---------------------------------------------------------------------------------

async def test_ec2_imdsv2_token_flow() -> None:
    rec = Recorder()
    async with serving(ec2_app(rec)) as address:
        got = await detect({"detectors": ["ec2"]},
                           {"AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{address}"})
    assert got == EC2_WANT
    assert rec.requests[0][:2] == ("PUT", "/latest/api/token")
    assert rec.requests[0][2]["X-aws-ec2-metadata-token-ttl-seconds"] == "21600"
    assert all(r[2]["X-aws-ec2-metadata-token"] == "AQAEAFqK2a0Wz-token=="
               for r in rec.requests[1:])


INSTANCE_TAGS = {"Name": "web-1", "team": "payments", "cost-center": "cc-7",
                 "aws:autoscaling:groupName": "web", "env": "prod"}


async def test_ec2_tags_from_describe_tags_with_the_instance_role() -> None:
    imds_rec, api_rec = Recorder(), Recorder()
    async with serving(ec2_app(imds_rec)) as imds, \
            serving(ec2_api_app(api_rec, INSTANCE_TAGS)) as api:
        got = await detect({"detectors": ["ec2"], "ec2": {"tags": ["^team$", "^env", "center"]}},
                           {"AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{imds}",
                            "AWS_ENDPOINT_URL_EC2": f"http://{api}"})
    assert got == {**EC2_WANT, "ec2.tag.team": "payments", "ec2.tag.env": "prod",
                   "ec2.tag.cost-center": "cc-7"}
    # three pages of two tags, each filtered on the instance and signed with the role's keys
    assert [r[1].count("NextToken=") for r in api_rec.requests] == [0, 1, 1]
    for _, path_qs, sent in api_rec.requests:
        headers = {k.lower(): v for k, v in sent.items()}
        assert "Action=DescribeTags" in path_qs
        assert "Filter.1.Value.1=i-1234567890abcdef0" in path_qs
        assert f"Credential={EC2_ROLE['AccessKeyId']}/" in headers["authorization"]
        assert "/us-west-2/ec2/aws4_request" in headers["authorization"]
        assert headers["x-amz-security-token"] == EC2_ROLE["Token"]


async def test_ec2_tags_failure_keeps_the_other_facts(caplog: pytest.LogCaptureFixture) -> None:
    api_rec = Recorder()
    api_rec.fail["/"] = 403
    telemetry = Telemetry()
    async with serving(ec2_app(Recorder())) as imds, \
            serving(ec2_api_app(api_rec, INSTANCE_TAGS)) as api:
        got = await detect({"detectors": ["ec2"], "ec2": {"tags": [".*"]}},
                           {"AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{imds}",
                            "AWS_ENDPOINT_URL_EC2": f"http://{api}",
                            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s"},
                           telemetry)
    assert got == EC2_WANT and results(telemetry, "ec2", "success") == 1
    assert "failed fetching ec2 instance tags" in caplog.text
    assert "DescribeTags answered 403" in caplog.text
    assert "Credential=AKIDEXAMPLE/" in api_rec.requests[0][2]["Authorization"]


async def test_ec2_falls_back_to_imdsv1_and_honours_toggles() -> None:
    async with serving(ec2_app(Recorder(), imdsv1_only=True)) as address:
        got = await detect({"detectors": ["ec2"], "ec2": {"resource_attributes": {
            "host.name": {"enabled": False}, "host.image.id": {"enabled": False}}}},
            {"AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{address}/"})
    assert got == {k: v for k, v in EC2_WANT.items() if k not in ("host.name", "host.image.id")}


async def test_ec2_not_on_ec2_finds_nothing_without_failing() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    telemetry = Telemetry()
    got = await detect({"detectors": ["ec2"]},
                       {"AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{port}"},
                       telemetry)
    assert got == {} and results(telemetry, "ec2", "success") == 1


async def test_ec2_broken_identity_document_fails_the_detector() -> None:
    rec = Recorder()
    rec.fail["/latest/dynamic/instance-identity/document"] = 500
    telemetry = Telemetry()
    async with serving(ec2_app(rec)) as address:
        got = await detect({"detectors": ["ec2"]},
                           {"AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{address}"},
                           telemetry)
    assert got == {} and results(telemetry, "ec2", "failure") == 1


async def test_ec2_slow_service_times_out_within_the_bound() -> None:
    rec = Recorder()
    rec.delay = 60.0
    telemetry = Telemetry()
    async with serving(ec2_app(rec)) as address:
        began = time.monotonic()
        got = await detect({"detectors": ["ec2", "env"], "timeout": "300ms"},
                           {"AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{address}",
                            "OTEL_RESOURCE_ATTRIBUTES": "a=b"}, telemetry)
        elapsed = time.monotonic() - began
    assert got == {"a": "b"} and results(telemetry, "ec2", "failure") == 1
    assert elapsed < 30  # the 60 s answer was not awaited


# --- gcp ---------------------------------------------------------------------------------

async def test_gcp_on_gce() -> None:
    rec = Recorder()
    async with serving(gce_app(rec)) as address:
        got = await detect({"detectors": ["gcp"]}, {"GCE_METADATA_HOST": address})
    assert got == {"cloud.provider": "gcp", "cloud.platform": "gcp_compute_engine",
                   "cloud.account.id": "my-project", "cloud.availability_zone": "us-central1-f",
                   "cloud.region": "us-central1", "host.type": "n1-standard-1",
                   "host.id": "4520031799277581759", "host.name": "my-instance",
                   "gcp.gce.instance.name": "my-instance",
                   "gcp.gce.instance.hostname": "my-instance.c.my-project.internal"}
    assert all(r[2]["Metadata-Flavor"] == "Google" for r in rec.requests)


async def test_gcp_metadata_error_fails_the_detector() -> None:
    rec = Recorder()
    rec.fail["/computeMetadata/v1/instance/zone"] = 503
    telemetry = Telemetry()
    async with serving(gce_app(rec)) as address:
        got = await detect({"detectors": ["gcp"]}, {"GCE_METADATA_HOST": address}, telemetry)
    assert got == {} and results(telemetry, "gcp", "failure") == 1


# --- azure / aks ---------------------------------------------------------------------------

async def test_azure_vm() -> None:
    rec = Recorder()
    async with serving(azure_app(rec)) as address:
        got = await detect({"detectors": ["azure"]}, {}, azure_base=f"http://{address}")
    assert got == {"cloud.provider": "azure", "cloud.platform": "azure_vm",
                   "host.name": "examplevmname", "cloud.region": "westus",
                   "host.id": AZURE_COMPUTE["vmId"],
                   "cloud.account.id": AZURE_COMPUTE["subscriptionId"],
                   "azure.vm.name": "examplevmname", "azure.vm.size": "Standard_A3",
                   "azure.vm.scaleset.name": "crpteste9vflji9",
                   "azure.resourcegroup.name": "macikgo-test-may-23"}
    [(_, path, headers)] = rec.requests
    assert path == "/metadata/instance/compute?api-version=2020-09-01&format=json"
    assert headers["Metadata"] == "True"


async def test_azure_error_answer_finds_nothing() -> None:
    rec = Recorder()
    rec.fail["/metadata/instance/compute"] = 500
    telemetry = Telemetry()
    async with serving(azure_app(rec)) as address:
        got = await detect({"detectors": ["azure"]}, {}, telemetry,
                           azure_base=f"http://{address}")
    assert got == {} and results(telemetry, "azure", "success") == 1


async def test_aks_needs_kubernetes_and_imds() -> None:
    async with serving(azure_app(Recorder())) as address:
        on_aks = await detect({"detectors": ["aks"]}, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"},
                              azure_base=f"http://{address}")
        off_k8s = await detect({"detectors": ["aks"]}, {}, azure_base=f"http://{address}")
    assert on_aks == {"cloud.provider": "azure", "cloud.platform": "azure_aks"}
    assert off_k8s == {}


# --- merge, override, processor ----------------------------------------------------------------

async def test_earlier_detector_wins_and_attributes_filters() -> None:
    async with serving(azure_app(Recorder())) as address:
        got = await detect({"detectors": ["env", "azure"], "attributes": ["host.name",
                                                                          "cloud.provider"]},
                           {"OTEL_RESOURCE_ATTRIBUTES": "host.name=from-env,x=1"},
                           azure_base=f"http://{address}")
    assert got == {"host.name": "from-env", "cloud.provider": "azure"}


@pytest.mark.parametrize(("override", "want"), [
    (True, {"service.name": "checkout-0", "host.name": "detected", "deployment.environment":
            "production", "service.version": "1.4.2", "extra": "e"}),
    (False, {"service.name": "checkout-0", "host.name": "ip-10-0-3-17", "deployment.environment":
             "production", "service.version": "1.4.2", "extra": "e"}),
], ids=["override", "keep"])
async def test_processor_merges_into_every_resource(override: bool,
                                                    want: dict[str, Any]) -> None:
    cfg = ResourceDetectionConfig.model_validate({"detectors": ["env"], "override": override})
    sink = SinkConsumer()
    proc = ResourceDetectionProcessor(settings(), cfg, Signal.TRACES, sink, environ={
        "OTEL_RESOURCE_ATTRIBUTES": "host.name=detected,extra=e"})
    await proc.start(FakeHost())
    await proc.consume_traces(Batch.from_message(Signal.TRACES, traces_request(3)))
    [out] = sink.batches
    [rs] = out.message.resource_spans
    assert Attributes(rs.resource.attributes).as_dict() == want
    await proc.shutdown()


@pytest.mark.parametrize(("config", "message"), [
    ({"detectors": ["k8s_api"]}, "detectors::0: not supported by otelpy: the k8s_api detector"),
    ({"detectors": ["env", "ecs"]}, "detectors::1: not supported by otelpy: the ecs detector"),
    ({"detectors": ["nosuch"]}, "detectors::0: invalid detector key: nosuch"),
    ({"detectors": ["ec2"], "ec2": {"resource_attributes": {"host.nam": {"enabled": True}}}},
     "ec2::resource_attributes::host.nam: unknown attribute of the ec2 detector"),
    ({"detectors": ["system"], "system": {"resource_attributes": {
        "host.ip": {"enabled": True}}}},
     "system::resource_attributes::host.ip: not supported by otelpy"),
    ({"detectors": ["ec2"], "ec2": {"tags": ["^Name$", "(team"]}},
     "ec2::tags::1: invalid regular expression '(team'"),
], ids=["k8s_api", "ecs", "unknown", "unknown-attribute", "host.ip", "ec2-tags"])
def test_config_refusals(config: dict[str, Any], message: str) -> None:
    problems = ResourceDetectionConfig.model_validate(config).validate_config()
    assert len(problems) == 1 and problems[0].startswith(message), problems
