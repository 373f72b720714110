"""The spec's ML model health check, as a custom check function for the healthcheck
receiver (config-examples/healthcheck.yaml names it ``check_ml_model_health`` and lists this
module in ``custom_check_modules``; run otelpy with this directory on PYTHONPATH).

A custom check is any Python callable: it gets the check's ``parameters`` as keyword
arguments and returns ``"healthy"``, ``"warning"``, ``"critical"``, or a mapping with
``status``, ``details`` and ``message``. A sync function (like this one) runs in a thread,
so it may block; an ``async def`` is awaited on the event loop and must not.

The "model" here is a stand-in (a fixed linear scorer over a small labelled validation
set) so the example runs anywhere; replace ``_MODELS`` with your model registry.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

Features = tuple[float, float, float]

# labelled validation set: (features, expected class)
_VALIDATION: list[tuple[Features, int]] = [
    ((0.9, 0.1, 0.3), 1), ((0.2, 0.8, 0.5), 0), ((0.7, 0.3, 0.9), 1), ((0.1, 0.9, 0.2), 0),
    ((0.8, 0.4, 0.1), 1), ((0.3, 0.6, 0.7), 0), ((0.6, 0.2, 0.4), 1), ((0.4, 0.7, 0.6), 0),
    ((0.95, 0.05, 0.5), 1), ((0.5, 0.5, 0.5), 0), ((0.65, 0.45, 0.2), 1), ((0.35, 0.4, 0.9), 0),
    ((0.55, 0.6, 0.1), 0), ((0.75, 0.1, 0.8), 1), ((0.15, 0.3, 0.3), 0), ((0.85, 0.7, 0.6), 1),
    ((0.45, 0.35, 0.75), 1), ((0.25, 0.15, 0.95), 0), ((0.6, 0.65, 0.35), 0),
    ((0.7, 0.5, 0.5), 1)]


def _linear(weights: Features, bias: float) -> Callable[[Features], int]:
    def predict(x: Features) -> int:
        return int(sum(w * v for w, v in zip(weights, x, strict=True)) + bias > 0)
    return predict


_MODELS: dict[str, Callable[[Features], int]] = {
    "recommendation_v3": _linear((2.0, -2.0, 0.2), -0.3),
}


def check_ml_model_health(model_name: str, max_inference_time_ms: float,
                          min_accuracy: float) -> dict[str, Any]:
    """Score the validation set with ``model_name``: critical when the model is missing,
    too slow or not accurate enough; warning when within 20% of the time limit or 0.02 of
    the accuracy floor."""
    model = _MODELS.get(model_name)
    if model is None:
        return {"status": "critical", "message": f"model {model_name!r} is not loaded"}
    start = time.perf_counter()
    correct = sum(model(x) == y for x, y in _VALIDATION)
    inference_ms = (time.perf_counter() - start) * 1000 / len(_VALIDATION)
    accuracy = correct / len(_VALIDATION)
    details: dict[str, Any] = {
        "inference_time_ms": round(inference_ms, 4), "accuracy": accuracy,
        "memory_usage_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    if inference_ms > max_inference_time_ms or accuracy < min_accuracy:
        return {"status": "critical", "details": details,
                "message": "inference_time_over_limit" if inference_ms > max_inference_time_ms
                else "accuracy_below_minimum"}
    if inference_ms > 0.8 * max_inference_time_ms:
        details["warning"] = "inference_time_near_limit"
    elif accuracy < min_accuracy + 0.02:
        details["warning"] = "accuracy_near_limit"
    return {"status": "warning" if "warning" in details else "healthy", "details": details,
            "message": details.get("warning", "")}
