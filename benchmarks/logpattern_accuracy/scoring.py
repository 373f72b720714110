"""Grouping Accuracy (GA) as in Zhu et al., "Tools and Benchmarks for Automated Log
Parsing" (ICSE-SEIP 2019), and the Loghub 2k samples it is computed on.

A message is parsed correctly when the set of messages in its predicted group equals the set
in its true group; GA is the fraction of messages parsed correctly.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path

__all__ = ["grouping_accuracy", "load_system", "SYSTEMS"]

SYSTEMS = ("HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Apache", "OpenSSH")


def grouping_accuracy(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> float:
    """GA of ``predicted`` group labels against ``truth`` labels (same length, one per
    message). Raises ValueError when the lengths differ or there are no messages."""
    if len(predicted) != len(truth) or not truth:
        raise ValueError("predicted and truth must be non-empty and of the same length")
    pred_groups: dict[Hashable, list[int]] = defaultdict(list)
    true_groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, (p, t) in enumerate(zip(predicted, truth, strict=True)):
        pred_groups[p].append(i)
        true_groups[t].append(i)
    correct = 0
    for members in pred_groups.values():
        label = truth[members[0]]
        if len(true_groups[label]) == len(members) and all(truth[i] == label for i in members):
            correct += len(members)
    return correct / len(truth)


def load_system(root: Path, system: str, corrected: bool) -> tuple[list[str], list[str]]:
    """(messages, EventIds) of one system: the ``Content`` and ``EventId`` columns of
    ``<S>_2k.log_structured.csv`` (``_corrected`` for the Loghub-2.0 labels)."""
    suffix = "_structured_corrected.csv" if corrected else "_structured.csv"
    path = root / system / f"{system}_2k.log{suffix}"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["Content"] for r in rows], [r["EventId"] for r in rows]
