"""Streaming log template mining (see README.md): masking, a fixed-depth prefix tree,
patterns with stable IDs, bounded memory, state as bytes."""

from otelpy.logmine.masking import WILDCARD, mask, tokenize
from otelpy.logmine.miner import TemplateMiner
from otelpy.logmine.patterns import Match, MinerOptions, Pattern, shape_of
from otelpy.logmine.state import StateError, dump, load

__all__ = ["WILDCARD", "Match", "MinerOptions", "Pattern", "StateError", "TemplateMiner",
           "dump", "load", "mask", "shape_of", "tokenize"]
