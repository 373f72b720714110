"""``include`` / ``exclude`` match properties (the Collector's filterconfig / filterspan /
filterlog / filtermetric) for processors that act on some items only. See README.md."""

from otelpy.filtermatch.config import MatchProperties, signal_problem
from otelpy.filtermatch.matcher import log_skip, metric_skip, span_skip

__all__ = ["MatchProperties", "log_skip", "metric_skip", "signal_problem", "span_skip"]
