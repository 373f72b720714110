"""The Kubernetes API connection keys every k8s component shares (the Collector's APIConfig)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel

AuthType = Literal["none", "serviceAccount", "kubeConfig"]


class K8sAPIConfig(ConfigModel):
    """``auth_type`` and ``context`` at the top of a k8s component's config."""

    auth_type: AuthType = Field(
        "serviceAccount",
        description="How to reach the API server: serviceAccount (in-cluster host, the pod's "
                    "token and CA), kubeConfig (a kubeconfig file) or none (in-cluster host, "
                    "no credentials, no TLS verification).")
    context: str = Field(
        "",
        description="With auth_type kubeConfig: the kubeconfig context to use (empty = the "
                    "file's current-context).")
    kubeconfig: str = Field(
        "",
        description="otelpy: with auth_type kubeConfig, the kubeconfig file (empty = "
                    "$KUBECONFIG, else ~/.kube/config).")
