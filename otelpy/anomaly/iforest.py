"""``iforest``: an isolation forest (scikit-learn) over features of recent values.

Per point the features are the value, its change since the previous point, its distance from
the mean of the last ``window`` values and their range; the last ``train_size`` feature rows are
the training set. Fitting never runs on the caller's thread: it is handed to a shared
:class:`Fitter` (one worker thread, at most ``max_pending`` fits queued; a refit that finds the
queue full is skipped and counted), first once ``min_train`` vectors exist, then every
``refit_every`` points. Until the first model is ready the series scores 0. A point's score is
scikit-learn's anomaly score of its vector (``-score_samples``: ~0.5 for ordinary points,
towards 1 for isolated ones). The saved state is the training set (no pickled model): a
restored detector refits at once. scikit-learn is imported when the first detector is created.
"""

from __future__ import annotations

import concurrent.futures
import math
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


class Fitter:
    """A bounded queue of fits in one worker thread, shared by every isolation forest."""

    def __init__(self, max_pending: int = 16) -> None:
        self.max_pending = max_pending
        self.skipped = 0
        self._pending = 0
        self._lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="iforest")

    def submit(self, rows: list[list[float]], trees: int,
               seed: int) -> concurrent.futures.Future[Any] | None:
        with self._lock:
            if self._pending >= self.max_pending:
                self.skipped += 1
                return None
            self._pending += 1
        return self._pool.submit(self._fit, rows, trees, seed)

    def _fit(self, rows: list[list[float]], trees: int, seed: int) -> Any:
        try:
            from sklearn.ensemble import IsolationForest

            return IsolationForest(n_estimators=trees, random_state=seed).fit(rows)
        finally:
            with self._lock:
                self._pending -= 1


FITTER = Fitter()


@dataclass(frozen=True)
class IForestParams:
    window: int = 8
    train_size: int = 512
    min_train: int = 128
    refit_every: int = 256
    trees: int = 50
    seed: int = 0  # scikit-learn random_state: the same data gives the same model


class IForestDetector:
    """Memory: ``train_size`` x ``window`` floats plus the fitted trees (~50 x 256 nodes)."""

    method = "iforest"
    Params = IForestParams

    def __init__(self, params: IForestParams | None = None, fitter: Fitter = FITTER) -> None:
        import numpy as np
        import sklearn.ensemble  # noqa: F401  (import cost paid here, not in the worker)

        p = self.params = params or IForestParams()
        if min(p.window - 1, p.min_train, p.refit_every, p.trees) < 1 or p.train_size < p.min_train:
            raise ValueError("window >= 2; min_train, refit_every, trees >= 1; "
                             "train_size >= min_train")
        self._np = np
        self.fitter = fitter
        self.values: deque[float] = deque(maxlen=p.window)
        self.rows: deque[list[float]] = deque(maxlen=p.train_size)
        self.model: Any = None
        self.future: concurrent.futures.Future[Any] | None = None
        self.since_fit = 0

    def score(self, value: float, timestamp: float = 0.0) -> float:
        """Score in [0, 1]; NaN/inf score 0 and are not learned."""
        if not math.isfinite(value):
            return 0.0
        self.values.append(value)
        if len(self.values) < self.params.window:
            return 0.0
        row = self._features()
        self._collect()
        result = 0.0
        if self.model is not None:
            result = float(-self.model.score_samples(self._np.array([row]))[0])
        self.rows.append(row)
        self.since_fit += 1
        p = self.params
        due = self.model is None and len(self.rows) >= p.min_train
        if self.future is None and (due or (self.model is not None and
                                            self.since_fit >= p.refit_every)):
            self.future = self.fitter.submit(list(self.rows), p.trees, p.seed)
            self.since_fit = 0
        return min(max(result, 0.0), 1.0)

    def _features(self) -> list[float]:
        values = self.values
        mean = sum(values) / len(values)
        spread = max(values) - min(values)
        return [values[-1], values[-1] - values[-2], values[-1] - mean, spread]

    def _collect(self) -> None:
        future = self.future
        if future is not None and future.done():
            self.future = None
            self.model = future.result()

    def wait(self, timeout: float | None = None) -> None:
        """Block until a fit in progress is done (tests and benchmarks; never on the loop)."""
        if self.future is not None:
            concurrent.futures.wait([self.future], timeout)
            self._collect()

    def expected_range(self, timestamp: float = 0.0) -> tuple[float, float]:
        if not self.rows:
            return math.nan, math.nan
        latest = sorted(row[-1] for row in self.rows)
        return latest[len(latest) // 100], latest[(len(latest) * 99) // 100]

    def dump(self) -> dict[str, Any]:
        return {"params": asdict(self.params), "values": list(self.values),
                "rows": list(self.rows)}

    @classmethod
    def load(cls, state: dict[str, Any]) -> IForestDetector:
        detector = cls(IForestParams(**state["params"]))
        detector.values.extend(state["values"])
        detector.rows.extend([float(v) for v in row] for row in state["rows"])
        if len(detector.rows) >= detector.params.min_train:
            detector.future = detector.fitter.submit(
                list(detector.rows), detector.params.trees, detector.params.seed)
        return detector
