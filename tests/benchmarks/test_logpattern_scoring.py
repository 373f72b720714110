"""The benchmark's Grouping Accuracy on small cases computed by hand, and its data loader."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCORING = Path(__file__).resolve().parents[2] / "benchmarks" / "logpattern_accuracy" / "scoring.py"


def _scoring() -> ModuleType:
    spec = importlib.util.spec_from_file_location("logpattern_scoring", SCORING)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


scoring = _scoring()

CASES = [
    # (predicted, truth, GA): worked out by hand below each
    (["a", "a", "b"], ["x", "x", "y"], 3 / 3),      # labels differ, groups equal
    (["a", "a", "a"], ["x", "x", "y"], 0 / 3),      # one group holds two true groups
    (["a", "b", "c"], ["x", "x", "y"], 1 / 3),      # x split in two: only y's message counts
    (["a", "a", "b", "b", "c"], ["x", "x", "y", "z", "z"], 2 / 5),  # a right; b mixes; c half
    (["a", "b", "b", "c", "c", "c"], ["x", "y", "y", "z", "z", "w"], 3 / 6),  # a, b right
    ([1, 1, 2, 2], ["E1", "E1", "E2", "E2"], 1.0),  # any hashable labels
]


@pytest.mark.parametrize(("predicted", "truth", "expected"), CASES,
                         ids=[f"case{i}" for i in range(len(CASES))])
def test_grouping_accuracy(predicted: list[object], truth: list[str], expected: float) -> None:
    assert scoring.grouping_accuracy(predicted, truth) == pytest.approx(expected)


@pytest.mark.parametrize(("predicted", "truth"), [([], []), (["a"], ["x", "y"])],
                         ids=["empty", "lengths"])
def test_grouping_accuracy_refuses(predicted: list[str], truth: list[str]) -> None:
    with pytest.raises(ValueError):
        scoring.grouping_accuracy(predicted, truth)


def test_load_system_reads_content_and_event_id(tmp_path: Path) -> None:
    folder = tmp_path / "Demo"
    folder.mkdir()
    (folder / "Demo_2k.log_structured.csv").write_text(
        'LineId,Content,EventId,EventTemplate\n1,"a, b",E1,"a, <*>"\n2,c 1,E2,c <*>\n')
    (folder / "Demo_2k.log_structured_corrected.csv").write_text(
        "LineId,Content,EventId,EventTemplate\n1,x,E9,x\n")
    assert scoring.load_system(tmp_path, "Demo", corrected=False) == (["a, b", "c 1"],
                                                                     ["E1", "E2"])
    assert scoring.load_system(tmp_path, "Demo", corrected=True) == (["x"], ["E9"])
