"""Online anomaly scoring of numeric series (see README.md).

``create_detector(method)`` gives one series' scorer; ``detector.score(value, timestamp)``
returns a score in [0, 1] and learns the value; ``dump_detector`` / ``load_detector`` turn the
learned state into bytes and back (for the storage extension). Methods: ``shape`` (the
default: novelty of the recent shape), ``surprise`` (records of level, seasonal residual and
context novelty), ``robust`` (median/MAD with optional daily or weekly seasonality),
``drift`` (PSI and Kolmogorov-Smirnov between a recent and a reference window), ``iforest``
(isolation forest, fitted off the caller's thread).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

METHODS = ("shape", "surprise", "robust", "drift", "iforest")


class Detector(Protocol):
    """One series' online scorer."""

    method: str

    def score(self, value: float, timestamp: float = 0.0) -> float:
        """Score ``value`` (seen at ``timestamp``, Unix seconds) in [0, 1], then learn it."""
        ...

    def expected_range(self, timestamp: float = 0.0) -> tuple[float, float]:
        """What the series usually does (low, high); NaN while nothing is learned."""
        ...

    def dump(self) -> dict[str, Any]:
        """The learned state as JSON-able data."""
        ...


def _classes() -> dict[str, Any]:
    from otelpy.anomaly.drift import DriftDetector
    from otelpy.anomaly.iforest import IForestDetector
    from otelpy.anomaly.robust import RobustDetector
    from otelpy.anomaly.shape import ShapeDetector
    from otelpy.anomaly.surprise import SurpriseDetector

    return {"shape": ShapeDetector, "surprise": SurpriseDetector, "robust": RobustDetector,
            "drift": DriftDetector, "iforest": IForestDetector}


def create_detector(method: str = "shape", **params: Any) -> Detector:
    """A fresh detector; ``params`` override the method's defaults. Raises ValueError for an
    unknown method or parameter."""
    classes = _classes()
    if method not in classes:
        raise ValueError(f"unknown anomaly method {method!r}; known: {', '.join(METHODS)}")
    cls = classes[method]
    try:
        detector: Detector = cls(cls.Params(**params)) if params else cls()
    except TypeError as err:
        raise ValueError(f"bad parameters for method {method!r}: {err}") from err
    return detector


def dump_detector(detector: Detector) -> bytes:
    """The detector's learned state as bytes (JSON, no code)."""
    body = {"method": detector.method, "state": detector.dump()}
    return json.dumps(body, separators=(",", ":")).encode()


def load_detector(data: bytes) -> Detector:
    """Rebuild a detector from ``dump_detector`` bytes. Raises ValueError when they are not one."""
    try:
        body = json.loads(data)
        detector: Detector = _classes()[body["method"]].load(body["state"])
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"not an anomaly detector state: {err}") from err
    return detector
