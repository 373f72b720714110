"""deploy/kubernetes: every ConfigMap's otelpy config passes `otelpy validate` (the real CLI),
every manifest matches the Kubernetes OpenAPI schema, and the wiring the README promises."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from otelpy.testing.process import otelpy_executable

DEPLOY = Path(__file__).parents[2] / "deploy" / "kubernetes"
MANIFESTS = sorted(DEPLOY.glob("*.yaml"))


def documents() -> list[dict[str, Any]]:
    return [d for p in MANIFESTS for d in yaml.safe_load_all(p.read_text()) if d]


CONFIGS = [(d["metadata"]["name"], key, text) for d in documents() if d["kind"] == "ConfigMap"
           for key, text in d["data"].items() if key.endswith(".yaml")]


@pytest.mark.parametrize(("name", "key", "text"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_configmap_config_validates(tmp_path: Path, name: str, key: str, text: str) -> None:
    path = tmp_path / key
    path.write_text(text)
    proc = subprocess.run([str(otelpy_executable()), "validate", "--config", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "config is valid" in proc.stdout


def test_kinds_and_wiring() -> None:
    docs = documents()
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {("DaemonSet", "otelpy-agent"), ("Deployment", "otelpy-gateway"),
            ("Service", "otelpy-gateway"), ("ServiceAccount", "otelpy"),
            ("ClusterRole", "otelpy"), ("ClusterRoleBinding", "otelpy")} <= kinds
    configmaps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    for d in docs:
        if d["kind"] in ("DaemonSet", "Deployment"):
            pod = d["spec"]["template"]["spec"]
            assert pod["serviceAccountName"] == "otelpy"
            mounted = {v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v}
            assert mounted <= configmaps and mounted
    rules = next(d for d in docs if d["kind"] == "ClusterRole")["rules"]
    core = next(r for r in rules if r["apiGroups"] == [""])
    assert {"pods", "namespaces", "nodes", "events"} <= set(core["resources"])
    assert {"list", "watch"} <= set(core["verbs"])


DOCS = [(f"{d['kind']}/{d['metadata']['name']}", d) for d in documents()]


@pytest.mark.parametrize(("name", "doc"), DOCS, ids=[n for n, _ in DOCS])
def test_manifest_matches_the_api_schema(name: str, doc: dict[str, Any]) -> None:
    """Each document against the Kubernetes API's published OpenAPI schema (the JSON schemas
    kubernetes-validate bundles), strict: an unknown field fails."""
    import kubernetes_validate

    version = kubernetes_validate.latest_version()
    kubernetes_validate.validate(doc, version, strict=True)


def test_schema_check_catches_a_bad_field() -> None:
    import kubernetes_validate

    doc = yaml.safe_load((DEPLOY / "gateway.yaml").read_text().split("---")[1])
    doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
