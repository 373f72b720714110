"""The pushgateway exporter against a real Prometheus Pushgateway 1.5 (Debian's
``prometheus-pushgateway``, basic auth on): values and grouping read back from its /metrics
and /api/v1/metrics; PUT replaces the group, POST only same-named metrics;
delete_on_shutdown removes the groups; wrong credentials are a permanent error."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError
from otelpy.exporters.pushgateway import PushgatewayConfig, PushgatewayExporter, factory
from otelpy.pdata import Batch
from otelpy.prometheus.labels import label_value
from otelpy.telemetry import Telemetry
from otelpy.testing.metrics import DELTA, request
from otelpy.testing.process import free_ports, metric_samples, wait_until
from otelpy.testing.sink import FakeHost

pytestmark = pytest.mark.integration

T = 1_700_000_000_000_000_000
AUTH = {"username": "pusher", "password": "s3cret"}


class Pushgateway:
    def __init__(self, base: Path, port: int) -> None:
        exe = shutil.which("prometheus-pushgateway")
        assert exe, "prometheus-pushgateway is required (Debian package; make system-deps)"
        hashed = bcrypt.hashpw(AUTH["password"].encode(), bcrypt.gensalt(4)).decode()
        (base / "web.yml").write_text(f"basic_auth_users:\n  {AUTH['username']}: {hashed}\n")
        self.url = f"http://127.0.0.1:{port}"
        self._log = (base / "pgw.log").open("wb")
        self.proc = subprocess.Popen(
            [exe, f"--web.listen-address=127.0.0.1:{port}",
             f"--web.config.file={base / 'web.yml'}",
             # Debian's default is a shared file under /var/lib: keep each run apart
             f"--persistence.file={base / 'pgw.dat'}"],
            stdout=self._log, stderr=subprocess.STDOUT)
        wait_until(self._ready, 60.0, "pushgateway ready")

    def _get(self, path: str) -> bytes:
        token = base64.b64encode(f"{AUTH['username']}:{AUTH['password']}".encode()).decode()
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req, timeout=20) as reply:
            return bytes(reply.read())

    def _ready(self) -> bool:
        assert self.proc.poll() is None, "pushgateway exited"
        try:
            return self._get("/-/ready") is not None
        except OSError:
            return False

    def push_text(self, path: str, text: str) -> None:
        token = base64.b64encode(f"{AUTH['username']}:{AUTH['password']}".encode()).decode()
        req = urllib.request.Request(self.url + path, data=text.encode(), method="PUT",
                                     headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req, timeout=20) as reply:
            assert reply.status == 200

    def samples(self, name: str) -> dict[tuple[tuple[str, str], ...], float]:
        text = self._get("/metrics").decode()
        return {tuple(sorted(labels.items())): value
                for labels, value in metric_samples(text, name)}

    def groups(self) -> list[dict[str, str]]:
        data = json.loads(self._get("/api/v1/metrics"))["data"]
        return sorted((g["labels"] for g in data), key=lambda g: sorted(g.items()))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self._log.close()


@pytest.fixture
def pgw(tmp_path: Path) -> Iterator[Pushgateway]:
    (port,) = free_ports(1)
    server = Pushgateway(tmp_path, port)
    yield server
    server.stop()


async def _exporter(tel: Telemetry, pgw: Pushgateway, **overrides: Any) -> PushgatewayExporter:
    cfg = PushgatewayConfig.model_validate({"endpoint": pgw.url, "job": "batch-job",
                                            "basic_auth": AUTH, **overrides})
    assert cfg.validate_config() == []
    settings = Settings(ComponentID("pushgateway"), Kind.EXPORTER,
                        logging.getLogger("t.pgw"), tel)
    ex = factory.create(settings, cfg, {Signal.METRICS})
    await ex.start(FakeHost())
    return ex


def _counter(value: int, instance: str = "i-1", name: str = "jobs.done") -> Batch:
    req = request("sum", name=name, points=[{"as_int": value, "time_unix_nano": T,
                                             "start_time_unix_nano": T - 10,
                                             "attrs": {"queue": "q1"}}],
                  resource={"service.name": "svc", "service.instance.id": instance})
    return Batch.from_message(Signal.METRICS, req)


def _key(**labels: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


SCOPE = {"otel_scope_name": "scope", "otel_scope_version": "1", "otel_scope_schema_url": ""}


async def test_put_replaces_the_group_and_values_read_back(pgw: Pushgateway) -> None:
    pgw.push_text("/metrics/job/batch-job", "foreign_metric 1\n")
    ex = await _exporter(Telemetry(), pgw)
    hist = request("histogram", name="run.time", unit="s", points=[{
        "time_unix_nano": T, "count": 3, "sum": 4.5, "explicit_bounds": [1.0, 2.0],
        "bucket_counts": [1, 1, 1]}], resource={"service.name": "svc"})
    await ex.consume_metrics(_counter(7))
    await ex.consume_metrics(Batch.from_message(Signal.METRICS, hist))
    await ex.shutdown()
    # the grouping key's job wins; a series without instance gets instance=""
    group = {"job": "batch-job", "instance": ""}
    assert pgw.samples("jobs_done_total") == {
        _key(job="batch-job", instance="i-1", queue="q1", **SCOPE): 7.0}
    assert pgw.samples("run_time_seconds_bucket") == {
        _key(**group, le=le, **SCOPE): v
        for le, v in (("1", 1.0), ("2", 2.0), ("+Inf", 3.0))}
    assert pgw.samples("run_time_seconds_sum") == {_key(**group, **SCOPE): 4.5}
    assert pgw.samples("foreign_metric") == {}  # PUT replaced the whole group


async def test_post_replaces_only_same_named_metrics(pgw: Pushgateway) -> None:
    pgw.push_text("/metrics/job/batch-job", "foreign_metric 1\njobs_done_total 99\n")
    ex = await _exporter(Telemetry(), pgw, method="post")
    await ex.consume_metrics(_counter(7))
    await ex.shutdown()
    assert pgw.samples("foreign_metric") == {_key(job="batch-job", instance=""): 1.0}
    assert pgw.samples("jobs_done_total") == {
        _key(job="batch-job", instance="i-1", queue="q1", **SCOPE): 7.0}


async def test_grouping_key_from_resource_and_delta_accumulation(pgw: Pushgateway) -> None:
    ex = await _exporter(Telemetry(), pgw, grouping_key={"site": "a/b"},
                         grouping_key_from_resource={"instance": "service.instance.id"},
                         without_scope_info=True)
    for value, start in ((3, T - 10), (4, T)):
        req = request("sum", name="jobs", temporality=DELTA, points=[{
            "as_int": value, "start_time_unix_nano": start, "time_unix_nano": start + 10}],
            resource={"service.name": "svc", "service.instance.id": "i-1"})
        await ex.consume_metrics(Batch.from_message(Signal.METRICS, req))
    await ex.consume_metrics(_counter(5, instance="i-2", name="jobs"))
    await ex.shutdown()
    assert pgw.samples("jobs_total") == {
        _key(job="batch-job", instance="i-1", site="a/b"): 7.0,
        _key(job="batch-job", instance="i-2", site="a/b", queue="q1"): 5.0}
    assert pgw.groups() == [{"job": "batch-job", "instance": "i-1", "site": "a/b"},
                            {"job": "batch-job", "instance": "i-2", "site": "a/b"}]


async def test_delete_on_shutdown(pgw: Pushgateway) -> None:
    ex = await _exporter(Telemetry(), pgw, delete_on_shutdown=True,
                         grouping_key_from_resource={"instance": "service.instance.id"})
    await ex.consume_metrics(_counter(1, instance="i-1"))
    await ex.consume_metrics(_counter(2, instance="i-2"))
    assert len(pgw.groups()) == 2
    await ex.shutdown()
    assert pgw.groups() == []


async def test_wrong_credentials_are_permanent(pgw: Pushgateway) -> None:
    tel = Telemetry()
    ex = await _exporter(tel, pgw, basic_auth={"username": "pusher", "password": "nope"})
    with pytest.raises(PermanentError, match="HTTP 401"):
        await ex.consume_metrics(_counter(1))
    await ex.shutdown()
    assert tel.value("otelcol_exporter_send_failed_metric_points_total",
                     {"exporter": "pushgateway"}) == 1


def test_label_value_of_missing_attribute_is_empty() -> None:
    assert label_value("") == ""
