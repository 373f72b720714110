"""Configs in the form vendors and projects publish (tests/config/wild/, each citing its
source) run through ``otelpy validate``: each is valid, or fails only on the component
types otelpy does not have and on the settings it refuses as "not supported", both listed
here per file. A new finding, or an expected one that is gone, fails the test."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from otelpy import cli
from otelpy.testing.process import otelpy_executable

WILD = Path(__file__).resolve().parent / "wild"

ENV = {
    "OTELCOL_LOG_DIR": "/var/log/otelcol", "OTELCOL_DATA_DIR": "/var/lib/otelcol",
    "OTELCOL_STORAGE_DIR": "/var/lib/otelcol/queue", "HTP_COLLECTOR_POD_IP": "0.0.0.0",
    "HONEYCOMB_API_KEY": "hc-key", "GRAFANA_CLOUD_INSTANCE_ID": "123456",
    "GRAFANA_CLOUD_API_KEY": "glc-key",
    "GRAFANA_CLOUD_OTLP_ENDPOINT": "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp",
    "DT_ENDPOINT": "https://abc12345.live.dynatrace.com", "DT_API_TOKEN": "dt-token",
    "OTEL_COLLECTOR_HOST": "0.0.0.0", "OTEL_COLLECTOR_PORT_GRPC": "4317",
    "OTEL_COLLECTOR_PORT_HTTP": "4318", "ENVOY_PORT": "8080", "DD_SITE": "datadoghq.com",
    "DD_API_KEY": "dd-key", "NEW_RELIC_LICENSE_KEY": "nr-key",
    "ELASTIC_APM_SERVER_ENDPOINT": "apm.example.com:443", "ELASTIC_APM_API_KEY": "es-key",
    "SPLUNK_HEC_TOKEN": "hec-token", "SPLUNK_HEC_URL": "https://splunk:8088/services/collector",
    "MY_POD_IP": "10.0.0.7", "K8S_NODE_NAME": "node-1", "RECEIVER_TOKEN": "rt",
    "EXPORTER_TOKEN": "et", "CA_FILE": "/etc/ssl/ca.pem", "OTLP_ENDPOINT": "backend:4317",
    "LS_ACCESS_TOKEN": "ls-token",
}

# file -> component types otelpy does not have ("kind/type"; "kind/type:signal" for a
# signal a type does not support yet) and settings refused as
# "not supported" (their YAML paths); a file absent here must validate cleanly
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "03-collector-telemetry-level-none.yaml": ({"receiver/nop", "exporter/nop"}, set()),
    "06-honeycomb-telemetry-pipeline.yaml": ({"processor/usage", "extension/honeycomb"},
                                             set()),
    "12-otel-demo-collector.yaml": (
        {"exporter/opensearch"},
        {"service::telemetry::metrics::readers::0::periodic"}),
    "13-aws-adot-xray-emf.yaml": ({"exporter/awsxray", "exporter/awsemf"},
                                  {"processors::resourcedetection::detectors::1"}),
    "14-datadog-exporter-connector.yaml": ({"connector/datadog"}, set()),
    "17-splunk-hec.yaml": ({"exporter/splunk_hec"}, set()),
    "24-headers-setter.yaml": (set(), {"extensions::headers_setter::headers::0::from_context"}),
    "31-k8s-agent-attributes.yaml": ({"receiver/kubeletstats"}, set()),
}

_UNKNOWN = re.compile(r': [^:]+::[^:]+: unknown (\w+) type "(\w+)"')
# a known type used with a signal it does not support yet: "kind/type:signal"
_NO_SIGNAL = re.compile(r'(\w+) "(\w+)(?:/[^"]*)?" does not support (\w+)')
_NOT_SUPPORTED = re.compile(r"^error: [^:]+:\d+:\d+: (\S+): not supported")

FILES = sorted(p.name for p in WILD.glob("*.yaml"))


def test_corpus_is_large_and_each_file_cites_its_source() -> None:
    assert len(FILES) >= 30
    for name in FILES:
        head = (WILD / name).read_text().splitlines()[0]
        assert head.startswith("# Form of: "), f"{name} does not cite its source"
    assert set(EXPECTED) <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_wild_config(name: str, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(WILD)
    code = cli.main(["validate", "--config", name])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    unknown = {f"{m[1]}/{m[2]}" for line in errors for m in _UNKNOWN.finditer(line)}
    unknown |= {f"{m[1]}/{m[2]}:{m[3]}" for line in errors for m in _NO_SIGNAL.finditer(line)}
    refused = {m[1] for line in errors if (m := _NOT_SUPPORTED.match(line))}
    explained = [line for line in errors
                 if _UNKNOWN.search(line) or _NOT_SUPPORTED.match(line)
                 or _NO_SIGNAL.search(line)]
    assert explained == errors, "\n".join(set(errors) - set(explained))
    want_unknown, want_refused = EXPECTED.get(name, (set(), set()))
    assert (unknown, refused) == (want_unknown, want_refused), err
    assert code == (1 if errors else 0)


def test_the_installed_command_agrees() -> None:
    """The real ``otelpy validate`` process on a file using the removed logging exporter."""
    env = {**ENV, "PATH": "/usr/bin:/bin"}
    run = subprocess.run([str(otelpy_executable()), "validate", "--config",
                          "11-grafana-tempo-logging-loglevel.yaml"], cwd=WILD, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "config is valid: 2 pipeline(s)\n"
    assert ('warning: 11-grafana-tempo-logging-loglevel.yaml:14:3: exporters::logging: the '
            '"logging" exporter was removed from the Collector (v0.111)') in run.stderr
