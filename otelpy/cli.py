"""The ``otelpy`` command: argument parsing and sub-commands. Thin on purpose."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import yaml

from otelpy import __version__
from otelpy.errors import ConfigError

if TYPE_CHECKING:  # for annotations only: the commands import these lazily
    from otelpy.config import ValidatedConfig
    from otelpy.registry import Registry

COMMANDS = ("run", "validate", "schema", "components", "print-config", "storage",
            "rules")


def _config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", action="append", default=[], metavar="FILE",
                   help="config file; repeat to merge several, left to right "
                        "(default: the embedded default config)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one key, path separated by '::' (e.g. "
                        "processors::batch::timeout=1s)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="otelpy",
        description="Telemetry pipeline engine in the shape of the OpenTelemetry Collector.",
        epilog="Without a command, 'run' is assumed: otelpy --config pipeline.yaml",
    )
    p.add_argument("--version", action="version", version=f"otelpy {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _config_args(sub.add_parser("run", help="run the pipelines (default)"))
    _config_args(sub.add_parser("validate", help="check a config; exit 0 or print every error"))
    sub.add_parser("schema", help="print the JSON Schema (draft 2020-12) of the config document")
    comp = sub.add_parser("components", help="list installed components")
    comp.add_argument("--json", action="store_true", help="machine-readable output")
    _config_args(sub.add_parser("print-config",
                                help="print the effective config with secrets redacted"))
    from otelpy.storage import inspect as storage_inspect

    storage_inspect.add_parser(sub)
    from otelpy.promql.rules import command as rules_command

    rules_command.add_parser(sub)
    return p


def _registry() -> Registry:
    from otelpy.registry import default_registry

    return default_registry()


def _load(args: argparse.Namespace, count_errors: bool = False) -> ValidatedConfig | None:
    """The validated config of ``--config``/``--set``; None after printing every error
    (and their count, with ``count_errors``) to stderr."""
    from otelpy import config

    try:
        loaded = config.load(args.config, args.set,
                             default_yaml=None if args.config else config.DEFAULT_CONFIG)
        return config.validate(loaded, _registry())
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        if count_errors:
            print(f"{len(exc.problems)} error(s)", file=sys.stderr)
        return None


def cmd_validate(args: argparse.Namespace) -> int:
    cfg = _load(args, count_errors=True)
    if cfg is None:
        return 1
    for warning in cfg.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"config is valid: {len(cfg.pipelines)} pipeline(s)")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from otelpy.config import document_schema

    json.dump(document_schema(_registry()), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def cmd_components(args: argparse.Namespace) -> int:
    rows = []
    for f in _registry():
        stability = ", ".join(f"{k}: {v}" for k, v in f.stability.items())
        aliases = [a.name + (" (deprecated)" if a.deprecated else "") for a in f.aliases]
        rows.append({"kind": str(f.kind), "type": f.type, "stability": dict(f.stability),
                     "signals": sorted(str(s) for s in f.signals()),
                     "aliases": [a.name for a in f.aliases],
                     "deprecated": bool(f.deprecated),
                     "description": f.description, "text": stability,
                     "alias_text": ", ".join(aliases) or "-"})
    if args.json:
        json.dump([{k: v for k, v in r.items() if k not in ("text", "alias_text")}
                   for r in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"{'KIND':<10} {'TYPE':<16} {'ALIASES':<22} STABILITY")
    for r in rows:
        print(f"{r['kind']:<10} {r['type']:<16} {r['alias_text']:<22} {r['text']}")
    return 0


def cmd_print_config(args: argparse.Namespace) -> int:
    from otelpy.config import document_schema, redact

    cfg = _load(args)
    if cfg is None:
        return 1
    doc = redact(cfg.document, document_schema(_registry()))
    sys.stdout.write(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import gc
    import os

    # grpc core logs every failed TLS handshake at INFO on stderr, a log flood any client
    # can cause; keep its errors only unless the operator asks for more (before grpc loads)
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    import uvloop

    from otelpy.service import Service
    from otelpy.telemetry import setup_logging

    setup_logging("info")
    # a pipeline allocates many short-lived objects per request (a scrape of 1,000 series
    # makes thousands); at CPython's default (a young collection every 700 allocations,
    # each walking every young object still referenced by the request in flight) the
    # collector costs about a third of the CPU of such a pipeline
    gc.set_threshold(10_000, 10, 10)
    service = Service(args.config, args.set)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(service.run())


def cmd_storage(args: argparse.Namespace) -> int:
    from otelpy.storage import inspect as storage_inspect

    return storage_inspect.main(args)


def cmd_rules(args: argparse.Namespace) -> int:
    from otelpy.promql.rules import command as rules_command

    return rules_command.main(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
        argv = ["run", *argv]
    args = _parser().parse_args(argv)
    handlers = {"run": cmd_run, "validate": cmd_validate, "schema": cmd_schema,
                "components": cmd_components, "print-config": cmd_print_config,
                "storage": cmd_storage, "rules": cmd_rules}
    return handlers[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
