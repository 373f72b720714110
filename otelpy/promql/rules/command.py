"""``otelpy rules check FILE...`` and ``otelpy rules test FILE...``: promtool's
``check rules`` and ``test rules`` with the same output and exit codes."""

from __future__ import annotations

import argparse
import os
import sys

from otelpy.promql.rules import rulefile, unittest


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rules = sub.add_parser("rules", help="check Prometheus rule files or run their unit tests "
                                         "(promtool compatible)")
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = rsub.add_parser("check", help="validate rule files like 'promtool check rules'")
    check.add_argument("files", nargs="+", metavar="FILE")
    test = rsub.add_parser("test", help="run rule unit tests like 'promtool test rules'")
    test.add_argument("files", nargs="+", metavar="FILE")


def main(args: argparse.Namespace) -> int:
    for path in args.files:
        if not os.path.exists(path):
            print(f"otelpy: error: path {path!r} does not exist", file=sys.stderr)
            return 1
    if args.rules_command == "test":
        return unittest.run_files(args.files)
    return check(args.files)


def check(files: list[str]) -> int:
    """0 when every file is valid; 1 otherwise (every problem printed to stderr)."""
    failed = False
    for path in files:
        print("Checking", path)
        try:
            groups = rulefile.load(path)
        except rulefile.RuleFileError as exc:
            print("  FAILED:", file=sys.stderr)
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            failed = True
        except OSError as exc:
            print("  FAILED:", file=sys.stderr)
            print(f"{path}: {exc}", file=sys.stderr)
            failed = True
        else:
            print(f"  SUCCESS: {sum(len(g.rules) for g in groups)} rules found")
        print()
    return 1 if failed else 0
