"""End to end: ``otelpy`` as a process runs k8s_cluster against the fake API server (in a
thread, through a kubeconfig) into the file exporter; a watched change shows in a later
snapshot; a clean shutdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from otelpy.testing.k8sapi import FakeKubeAPI, ThreadedKubeAPI, write_kubeconfig
from otelpy.testing.polling import wait_until
from otelpy.testing.process import OtelpyProcess

CLUSTER_JSON = Path(__file__).parent / "cluster.json"


def snapshots(path: Path) -> list[dict[tuple[str, str], Any]]:
    """Each exported request as {(resource name, metric): value}."""
    out = []
    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines:
        got: dict[tuple[str, str], Any] = {}
        for rm in json.loads(line)["resourceMetrics"]:
            attrs = {a["key"]: a["value"].get("stringValue") for a in
                     rm["resource"].get("attributes", [])}
            name = "/".join(v for k, v in attrs.items()
                            if k.endswith(".name") and k != "container.image.name" and v)
            for sm in rm["scopeMetrics"]:
                for metric in sm["metrics"]:
                    for point in metric["gauge"]["dataPoints"]:
                        value = point.get("asInt", point.get("asDouble"))
                        got[(name, metric["name"])] = float(value)
        out.append(got)
    return out


def test_otelpy_process_exports_cluster_metrics(tmp_path: Path) -> None:
    server = FakeKubeAPI()
    with ThreadedKubeAPI(server) as threaded:
        threaded.call(server.load(json.loads(CLUSTER_JSON.read_text())))
        out = tmp_path / "metrics.jsonl"
        config = {
            "receivers": {"k8s_cluster": {
                "auth_type": "kubeConfig",
                "kubeconfig": str(write_kubeconfig(tmp_path, threaded.url)),
                "collection_interval": "200ms"}},
            "exporters": {"file": {"path": str(out), "flush_interval": "0s"}},
            "service": {"pipelines": {"metrics": {"receivers": ["k8s_cluster"],
                                                  "exporters": ["file"]}}}}
        proc = OtelpyProcess(tmp_path, config).start()
        try:
            wait_until(lambda: any(s.get(("shop/web", "k8s.deployment.available")) == 2
                                   and ("node-b", "k8s.node.condition_ready") in s
                                   for s in snapshots(out)), 30, "a full snapshot")
            first = next(s for s in snapshots(out) if ("node-b", "k8s.node.condition_ready")
                         in s)
            assert first[("node-b", "k8s.node.condition_ready")] == 0
            assert first[("shop/node-b/worker-5c8f-9zz/worker", "k8s.container.restarts")] == 7
            assert first[("shop/migrate-29301", "k8s.job.successful_pods")] == 2
            deployment = server.get("/apis/apps/v1/deployments", "d-web")
            deployment["status"]["availableReplicas"] = 3
            threaded.call(server.modify("/apis/apps/v1/deployments", deployment))
            wait_until(lambda: snapshots(out)[-1].get(("shop/web", "k8s.deployment.available"))
                       == 3, 30, "the watched change in a snapshot")
        finally:
            proc.stop()
    assert len(server.lists("/apis/apps/v1/deployments")) == 1
