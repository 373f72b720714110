"""docs/guarantees.md names, for every promise, the tests that prove it, and they exist.

The document's rules (stated at its top):

* Every top-level bullet (``- `` at column 0) is a promise and holds a ``Proved by:``
  (or ``Proved by (how):``) followed by one or more test references, except under a heading marked
  ``(measured)`` (benchmark figures, not promises).
* A table at column 0 outside those sections has a last column ``proved by`` whose
  every row names at least one test.
* A test reference is ```tests/<path>.py::<function>``` (or ``::<Class>::<method>``),
  optionally with a ``[parameter id]``; the file must exist and define that test.
  Every reference anywhere in the document is checked, not only those after
  ``Proved by:``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "guarantees.md"
REF = re.compile(r"`(tests/[\w/.-]+\.py)::([\w:]+)(\[[^\]`]*\])?`")
LOOSE = re.compile(r"`(?:tests/[^`]*|::\w+[^`]*|test_\w+(?:\[[^`]*\])?)`")
PROVED = re.compile(r"Proved by(?: \([^)]*\))?:")


@dataclass
class Block:
    """A bullet or a table row of the document, with the line it starts on."""

    line: int
    text: str
    kind: str  # "bullet" or "row"
    heading: str


def _blocks(lines: list[str]) -> list[Block]:
    """Top-level bullets (with their indented continuation) and table rows, outside
    fenced code; ``heading`` is the nearest heading above."""
    blocks: list[Block] = []
    heading, fenced, current = "", False, None
    for number, line in enumerate(lines, start=1):
        if line.startswith("```"):
            fenced, current = not fenced, None
            continue
        if fenced:
            continue
        if line.startswith("#"):
            heading, current = line.lstrip("#").strip(), None
        elif line.startswith("- "):
            current = Block(number, line, "bullet", heading)
            blocks.append(current)
        elif line.startswith("|"):
            blocks.append(Block(number, line, "row", heading))
            current = None
        elif line.startswith(" ") and current is not None:
            current.text += "\n" + line
        elif not line.strip() and current is not None:
            continue  # a blank line inside a bullet (a nested table or list follows)
        else:
            current = None
    return blocks


def _proof(text: str) -> bool:
    """Whether ``text`` says "Proved by:" (or "Proved by (how):") and names a test after."""
    found = PROVED.search(text)
    return found is not None and REF.search(text, found.end()) is not None


def _measured(block: Block) -> bool:
    return block.heading.endswith("(measured)")


def _table_rows(blocks: list[Block]) -> list[tuple[Block, str]]:
    """(row, last-column header) of every table data row."""
    out: list[tuple[Block, str]] = []
    header = ""
    previous = -1
    for block in blocks:
        if block.kind != "row":
            continue
        cells = [c.strip() for c in block.text.strip().strip("|").split("|")]
        if block.line != previous + 1:
            header = cells[-1].lower()  # a new table starts with its header
        elif not set(cells[0]) <= set("-: "):
            out.append((block, header))
        previous = block.line
    return out


@cache
def _tests_in(path: str) -> frozenset[str]:
    """Test functions of a file: ``name`` and ``Class::name``."""
    tree = ast.parse((ROOT / path).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{f.name}" for f in node.body
                         if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef))
    return frozenset(n for n in names if n.split("::")[-1].startswith("test_"))


LINES = DOC.read_text().splitlines()
BLOCKS = _blocks(LINES)


def _where(block: Block) -> str:
    return f"docs/guarantees.md:{block.line} ({block.text.splitlines()[0][:60]}...)"


def test_the_document_has_promises() -> None:
    bullets = [b for b in BLOCKS if b.kind == "bullet" and not _measured(b)]
    assert len(bullets) >= 40
    assert len(_table_rows(BLOCKS)) >= 12


def test_every_promise_names_a_test() -> None:
    missing = []
    for block in BLOCKS:
        if block.kind != "bullet" or _measured(block):
            continue
        if not _proof(block.text):
            missing.append(_where(block))
    assert missing == [], "promises without a 'Proved by:' test:\n" + "\n".join(missing)


def test_every_table_row_names_a_test() -> None:
    missing = []
    for row, header in _table_rows(BLOCKS):
        if _measured(row):
            continue
        last = row.text.strip().strip("|").split("|")[-1]
        if header != "proved by" or not REF.search(last):
            missing.append(_where(row))
    assert missing == [], "table rows without a 'proved by' test:\n" + "\n".join(missing)


def test_every_named_test_exists() -> None:
    text = "\n".join(LINES)
    refs = REF.findall(text)
    assert len(refs) >= 100
    problems = []
    for path, name, _param in refs:
        if not (ROOT / path).is_file():
            problems.append(f"{path}: no such file")
        elif name not in _tests_in(path):
            problems.append(f"{path}::{name}: no such test")
    assert problems == [], "\n".join(sorted(set(problems)))


def test_no_loose_test_reference() -> None:
    """A test named in any other form (a bare name, ``::name``, a whole file) would escape
    the existence check."""
    loose = [m.group(0) for m in LOOSE.finditer("\n".join(LINES)) if not REF.fullmatch(m.group(0))]
    assert loose == [], f"write references as `tests/<file>.py::<test>`: {loose}"


@pytest.mark.parametrize(("text", "ok"), [
    ("- **A.** x.\n  Proved by: `tests/test_graph.py::test_instances_per_design`.", True),
    ("- **A.** x (tests: `tests/test_graph.py::test_instances_per_design`).", False),
    ("- **A.** x.\n  Proved by: the graph tests.", False),
    ("- **A.** x.\n  Proved by (a raw client):\n"
     "  `tests/test_graph.py::test_instances_per_design`.",
     True),
], ids=["named", "no-proved-by", "no-reference", "how"])
def test_the_checker_itself(text: str, ok: bool) -> None:
    assert _proof(_blocks(text.splitlines())[0].text) is ok
