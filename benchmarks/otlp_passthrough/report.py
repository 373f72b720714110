"""The results table (Markdown), the target verdicts, and the block in benchmarks/README.md."""

from __future__ import annotations

from pathlib import Path

from measure import Result, Run

BEGIN = "<!-- BEGIN otlp_passthrough RESULTS -->"
END = "<!-- END otlp_passthrough RESULTS -->"
TARGET_RATIO = 3.0
TARGET_RSS_MIB = 150.0

_HEADER = ("| collector | spans/CPU-s | vs rotel | spans/s (wall) | CPU s | window s "
           "| peak RSS MiB | threads | spans sent | spans received | lost | gzip ratio |")
_RULE = "|---|" + "--:|" * (_HEADER.count("|") - 2)


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _ratio(run: Run, base: Run | None) -> str:
    if base is None or base.spans_per_cpu_s <= 0:
        return "-"
    return f"{run.spans_per_cpu_s / base.spans_per_cpu_s:.2f}x"


def _threads(run: Run) -> str:
    extra = run.processes - 1
    return f"{run.threads} (+{extra} child process{'es' if extra > 1 else ''})" if extra else str(
        run.threads)


def _row(result: Result, base: Run | None) -> str:
    run = result.summary
    label = f"{result.label} {result.version}".strip()
    if run is None or result.status != "ok":
        return f"| {label} | {result.status} |" + " |" * 10
    spread = ""
    if len(result.runs) > 1:
        values = sorted(r.spans_per_cpu_s for r in result.runs)
        spread = f" ({_n(values[0])}..{_n(values[-1])})"
    gz = f"{run.raw_bytes / run.wire_bytes:.2f}" if run.wire_bytes else "-"
    return (f"| {label} | {_n(run.spans_per_cpu_s)}{spread} | {_ratio(run, base)} "
            f"| {_n(run.spans_per_s)} | {run.cpu_s:.2f} | {run.window_s:.2f} "
            f"| {run.peak_rss_mib:.1f} | {_threads(run)} | {_n(run.spans_sent)} "
            f"| {_n(run.spans_received)} | {run.lost} | {gz} |")


def table(results: list[Result]) -> str:
    by_key = {r.key: r for r in results}
    rotel = by_key.get("rotel")
    base = rotel.summary if rotel is not None and rotel.status == "ok" else None
    return "\n".join([_HEADER, _RULE, *(_row(r, base) for r in results)])


def verdicts(results: list[Result]) -> list[str]:
    """One line per target: otelpy >= 3x rotel per CPU-s, peak RSS <= 150 MiB, zero lost."""
    by_key = {r.key: r for r in results}
    lines = []
    for r in results:
        run = r.summary
        if r.status == "ok" and run is not None:
            ok = run.lost == 0 and run.h2load_not_ok == 0
            lines.append(f"- {r.label}: zero lost: {'PASS' if ok else 'FAIL'} "
                         f"(lost {run.lost}, h2load non-2xx/errored {run.h2load_not_ok})")
    otelpy, rotel = by_key.get("otelpy"), by_key.get("rotel")
    o = otelpy.summary if otelpy is not None and otelpy.status == "ok" else None
    b = rotel.summary if rotel is not None and rotel.status == "ok" else None
    if o is None:
        why = otelpy.status if otelpy is not None else "not run"
        lines.append(f"- otelpy targets: pending ({why})")
        return lines
    if b is not None:
        ratio = o.spans_per_cpu_s / b.spans_per_cpu_s
        verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
        lines.append(f"- otelpy/rotel spans per CPU-second: {ratio:.2f}x "
                     f"(target >= {TARGET_RATIO:g}x): {verdict}")
    ok = o.peak_rss_mib <= TARGET_RSS_MIB
    lines.append(f"- otelpy peak RSS: {o.peak_rss_mib:.1f} MiB "
                 f"(target <= {TARGET_RSS_MIB:g} MiB): {'PASS' if ok else 'FAIL'}")
    if o.counters:
        shown = ", ".join(f"{k} {v:,.0f}" for k, v in sorted(o.counters.items()))
        lines.append(f"- otelpy's own counters (warm-up + window): {shown}")
    return lines


def block(results: list[Result], context: list[str]) -> str:
    """The Markdown placed between the README markers."""
    return "\n".join([*context, "", table(results), "", *verdicts(results)])


def update_readme(readme: Path, text: str) -> bool:
    """Replace what is between the markers; False when the markers are missing."""
    if not readme.exists():
        return False
    current = readme.read_text()
    start, end = current.find(BEGIN), current.find(END)
    if start < 0 or end < start:
        return False
    readme.write_text(current[: start + len(BEGIN)] + "\n" + text + "\n" + current[end:])
    return True
