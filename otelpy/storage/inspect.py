"""``otelpy storage check|repair DIR``: report on and clean up the logs under a directory.

A log directory is any directory (``DIR`` itself or below it) holding segment files
(``*.seg``) or an ``ack`` file, such as ``<file_storage directory>/<exporter>/<signal>``.

* **check** reads every record and checksum (nothing is changed) and reports per log:
  segments, records, records not yet acknowledged, bytes, damaged records, and the ack
  position. Exit status 1 when anything is damaged.
* **repair** rewrites each damaged segment with only its valid records (a torn tail is
  cut off, corrupt records dropped), deletes empty segments, cuts a damaged
  acknowledgement journal back to its valid events, and removes a damaged ack
  file (every record not acknowledged in a journal is then delivered again). It
  refuses a log that a running process holds. Exit status 0 once every log is clean.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from otelpy.storage.ackfile import (
    ACK_FILE,
    AckState,
    CorruptAckFile,
    load_ack,
    replay_journals,
    sync_directory,
    truncate_damaged_journals,
)
from otelpy.storage.lock import DirectoryLock, StorageLocked
from otelpy.storage.records import SegmentScan, encode_header, scan_segment
from otelpy.storage.segments import list_segments

__all__ = ["LogReport", "find_logs", "check_log", "repair_log", "main"]


@dataclass
class LogReport:
    """What one log directory holds."""

    directory: Path
    segments: int = 0
    records: int = 0
    pending: int = 0
    bytes: int = 0
    corrupt: int = 0
    state: AckState | None = None
    problems: list[str] = field(default_factory=list)
    in_use: bool = False
    scans: list[SegmentScan] = field(default_factory=list)
    ack_damaged: bool = False
    journal_damaged: bool = False


def find_logs(root: Path) -> list[Path]:
    """Every log directory at or below ``root``, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if ACK_FILE in filenames or any(f.endswith(".seg") for f in filenames):
            found.append(Path(dirpath))
    return found


def check_log(directory: Path) -> LogReport:
    """Scan one log directory (read only). Raises OSError when it cannot be read."""
    report = LogReport(directory, in_use=DirectoryLock.is_locked(directory))
    try:
        saved = load_ack(directory)
    except CorruptAckFile as exc:
        saved = None
        report.ack_damaged = True
        report.corrupt += 1
        report.problems.append(f"{ACK_FILE}: {exc}")
    problems: list[str] = []
    state, _ = replay_journals(directory, saved or AckState(pointer=0), problems)
    report.corrupt += len(problems)
    report.problems += problems
    report.journal_damaged = bool(problems)
    report.state = state if saved is not None or state.acked or state.dispatched else None
    for first, path in list_segments(directory):
        scan = scan_segment(path, first)
        report.scans.append(scan)
        report.segments += 1
        report.bytes += scan.size
        report.records += len(scan.records)
        report.pending += sum(1 for r in scan.records if not state.is_acked(r.seq))
        report.corrupt += scan.corrupt
        report.problems += [f"{path.name}: {p}" for p in scan.problems]
    return report


def repair_log(directory: Path) -> list[str]:
    """Make one log directory clean; returns what was done.

    Raises StorageLocked when a running process holds it, OSError on I/O errors.
    """
    lock = DirectoryLock(directory)
    lock.acquire(0)
    try:
        report = check_log(directory)
        done = []
        for scan in report.scans:
            if scan.size == 0 or not scan.records:
                scan.path.unlink()
                done.append(f"{scan.path.name}: deleted (no valid record)")
            elif scan.corrupt:
                _rewrite(scan)
                done.append(f"{scan.path.name}: rewritten with its {len(scan.records)} valid "
                            f"records ({scan.corrupt} damaged dropped)")
        if report.journal_damaged:
            done += truncate_damaged_journals(directory)
        if report.ack_damaged:
            (directory / ACK_FILE).unlink()
            done.append(f"{ACK_FILE}: damaged, removed (every record will be delivered again)")
        if done:
            sync_directory(directory)
        return done
    finally:
        lock.release()


def _rewrite(scan: SegmentScan) -> None:
    """Replace a segment file by one holding only its valid records (same names, seqs)."""
    data = scan.path.read_bytes()
    tmp = scan.path.with_suffix(".repair")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        for ref in scan.records:
            payload = data[ref.offset:ref.offset + ref.length]
            os.write(fd, encode_header(ref.seq, (payload,), ref.meta) + payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, scan.path)


def _name(root: Path, directory: Path) -> str:
    rel = directory.relative_to(root)
    return unquote(str(rel)) if str(rel) != "." else directory.name


def _print_reports(root: Path, reports: list[LogReport]) -> None:
    print(f"{'LOG':<36} {'SEGMENTS':>8} {'RECORDS':>8} {'PENDING':>8} {'BYTES':>12} "
          f"{'CORRUPT':>8}  ACK")
    for r in reports:
        ack = ("none" if r.state is None else
               f"pointer {r.state.pointer}, {len(r.state.acked)} out of order, "
               f"{sum(1 for s in r.state.dispatched if not r.state.is_acked(s))} handed to a "
               f"sender" + (f" (all up to {r.state.dispatched_upto})"
                            if r.state.dispatched_upto else ""))
        note = "  (in use by a running process)" if r.in_use else ""
        print(f"{_name(root, r.directory):<36} {r.segments:>8} {r.records:>8} {r.pending:>8} "
              f"{r.bytes:>12} {r.corrupt:>8}  {ack}{note}")
        for problem in r.problems:
            print(f"    damaged: {problem}")


def cmd_check(root: Path) -> int:
    logs = find_logs(root)
    if not logs:
        print(f"no storage logs under {root}")
        return 0
    reports = [check_log(d) for d in logs]
    _print_reports(root, reports)
    corrupt = sum(r.corrupt for r in reports)
    if corrupt:
        print(f"{corrupt} damaged record(s) found: run `otelpy storage repair {root}` to "
              "drop them", file=sys.stderr)
        return 1
    return 0


def cmd_repair(root: Path) -> int:
    status = 0
    logs = find_logs(root)
    for directory in logs:
        try:
            done = repair_log(directory)
        except StorageLocked:
            print(f"{_name(root, directory)}: in use by a running process; stop it first",
                  file=sys.stderr)
            status = 1
            continue
        for line in done or ["clean, nothing to do"]:
            print(f"{_name(root, directory)}: {line}")
    if not logs:
        print(f"no storage logs under {root}")
    return status


def main(args: argparse.Namespace) -> int:
    """Run ``otelpy storage {check,repair} DIR`` (arguments parsed by otelpy.cli)."""
    root = Path(args.directory)
    if not root.is_dir():
        print(f"error: {root} is not a directory", file=sys.stderr)
        return 2
    try:
        return cmd_check(root) if args.storage_command == "check" else cmd_repair(root)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``storage check|repair DIR`` on otelpy's sub-command parser."""
    storage = sub.add_parser("storage", help="inspect or repair persistent queue directories")
    verbs = storage.add_subparsers(dest="storage_command", metavar="ACTION", required=True)
    for verb, text in (("check", "report segments, records, damage and ack position per "
                                 "queue (exit 1 if damage is found)"),
                       ("repair", "drop damaged records and torn tails so every queue is "
                                  "clean (exit 0)")):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("directory", metavar="DIR",
                       help="a file_storage directory (or any directory below it)")

