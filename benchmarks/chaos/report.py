"""Figures of a chaos run: per-round lines, the totals table, JSON, the README block."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chaos import Recovery, RoundResult
from ledger import Ledger, Tally

BEGIN, END = "<!-- BEGIN chaos RESULTS -->", "<!-- END chaos RESULTS -->"


@dataclass
class RunSummary:
    """Everything a run measured; ``ok`` is "nothing acknowledged was lost, no crash"."""

    rounds: list[dict[str, Any]] = field(default_factory=list)
    total: dict[str, Any] = field(default_factory=dict)
    recoveries: list[dict[str, Any]] = field(default_factory=list)
    lost_seqs: list[int] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.total["lost"] and not self.total["crashes"]


def _fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _fmt_n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _max(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _drains(recs: Sequence[Recovery]) -> list[float | None]:
    return [r.drain_s for r in recs if not r.interrupted]


def round_row(res: RoundResult, tally: Tally, recs: Sequence[Recovery]) -> dict[str, Any]:
    """One round's figures (recoveries of that round only)."""
    return {
        "round": res.round, **asdict(tally), "duplicate_ratio": tally.duplicate_ratio,
        "items_per_s": tally.acked / res.load_s if res.load_s else 0.0,
        "load_s": res.load_s, "settle_s": res.settle_s,
        "otelpy_kills": res.otelpy_kills, "sink_outages": res.sink_outages,
        "crashes": res.crashes, "unacked_at_end": res.unacked_at_end,
        "max_ready_s": _max([r.ready_s for r in recs]), "max_drain_s": _max(_drains(recs)),
        "events": list(res.events),
    }


def round_line(row: dict[str, Any], total_rounds: int) -> str:
    return (f"round {row['round']:>3}/{total_rounds}: acked {row['acked']:>8,} delivered "
            f"{row['delivered']:>8,} LOST {row['lost']:>6,} dup {row['duplicates']:>5,} "
            f"({row['duplicate_ratio']:.3%}, {row['duplicates_resent']:,} resent by the client) "
            f"| kills {row['otelpy_kills']} sink-outages "
            f"{row['sink_outages']} crashes {row['crashes']} | ready max "
            f"{_fmt_s(row['max_ready_s'])}s drain max {_fmt_s(row['max_drain_s'])}s | "
            f"{row['items_per_s']:>7,.0f} items/s")


def summarize(ledger: Ledger, results: Sequence[RoundResult], recs: Sequence[Recovery],
              context: dict[str, Any], in_flight_bound: int) -> RunSummary:
    """The final books: every figure recomputed from the ledger after the last round.

    ``in_flight_bound``: the most items one fault (a restart of otelpy, a SIGKILL of the
    sink) can duplicate: what the clients and the exporter's senders have in flight.
    """
    rows = [round_row(res, ledger.round_tally(i), [r for r in recs if r.round == res.round])
            for i, res in enumerate(results)]
    total = ledger.tally(0, ledger.next_seq)
    load_s = sum(r.load_s for r in results)
    drains = _drains(recs)
    dup_faults = len(recs) + sum(r.sink_sigkills for r in results)
    return RunSummary(
        rounds=rows,
        total={
            **asdict(total), "duplicate_ratio": total.duplicate_ratio,
            "items_per_s": total.acked / load_s if load_s else 0.0, "load_s": load_s,
            "rounds": len(results), "otelpy_kills": sum(r.otelpy_kills for r in results),
            "sink_outages": sum(r.sink_outages for r in results),
            "crashes": sum(r.crashes for r in results),
            "restarts": len(recs),
            "max_ready_s": _max([r.ready_s for r in recs]),
            "median_ready_s": _median([r.ready_s for r in recs]),
            "max_drain_s": _max(drains), "median_drain_s": _median(drains),
            "drains_measured": sum(1 for d in drains if d is not None),
            "drains_interrupted": sum(1 for r in recs if r.interrupted),
            "max_backlog_items": max((r.backlog_items for r in recs), default=0),
            "duplicates_per_kill": (total.duplicates / len(recs)) if recs else 0.0,
            "redelivered_per_kill": ((total.duplicates - total.duplicates_resent) / len(recs)
                                     if recs else 0.0),
            "seconds_per_kill": load_s / len(recs) if recs else 0.0,
            "sink_sigkills": sum(r.sink_sigkills for r in results),
            "in_flight_bound": in_flight_bound,
            "duplicate_bound": in_flight_bound * dup_faults,
        },
        recoveries=[asdict(r) for r in recs],
        lost_seqs=ledger.lost_seqs(),
        context=context,
    )


def total_lines(summary: RunSummary) -> list[str]:
    """The human-readable verdict."""
    t = summary.total
    lines = [
        f"rounds {t['rounds']}, load {t['load_s']:.1f} s: generated {t['generated']:,}, "
        f"acknowledged {t['acked']:,}, delivered {t['delivered']:,}, LOST {t['lost']:,}, "
        f"duplicates {t['duplicates']:,} ({t['duplicate_ratio']:.3%}; "
        f"{t['duplicates_resent']:,} of them of items the client re-sent after an error, "
        f"{t['duplicates'] - t['duplicates_resent']:,} re-delivered by otelpy, which counted "
        f"{_fmt_n(t.get('otelpy_counted_redeliveries'))} items as possibly sent again), "
        f"delivered without acknowledgement {t['unacked_delivered']:,}",
        f"faults: {t['otelpy_kills']} kill -9 of otelpy, {t['sink_outages']} sink outages, "
        f"{t['crashes']} unrequested otelpy exits; duplicates per restart "
        f"{t['duplicates_per_kill']:,.0f} ({t['redelivered_per_kill']:,.0f} re-delivered by "
        "otelpy)",
        f"recovery: restart -> port ready median {_fmt_s(t['median_ready_s'])} s, max "
        f"{_fmt_s(t['max_ready_s'])} s; restart -> backlog drained median "
        f"{_fmt_s(t['median_drain_s'])} s, max {_fmt_s(t['max_drain_s'])} s "
        f"({t['drains_measured']} measured, {t['drains_interrupted']} interrupted by the next "
        f"kill; largest backlog {t['max_backlog_items']:,} items)",
        f"throughput: {t['items_per_s']:,.0f} acknowledged items/s (load phases, faults "
        "included)",
        f"lost == 0: {'PASS' if not t['lost'] else 'FAIL'}; duplicates <= what was in flight "
        f"at the faults ({t['in_flight_bound']:,} items x {t['restarts']} restarts + "
        f"{t['sink_sigkills']} sink SIGKILLs = {t['duplicate_bound']:,}): "
        f"{'PASS' if t['duplicates'] <= t['duplicate_bound'] else 'FAIL'}; duplicates < 0.1%: "
        f"{'PASS' if t['duplicate_ratio'] < 0.001 else 'FAIL'} (one kill -9 every "
        f"{t['seconds_per_kill']:.1f} s of load)",
    ]
    if summary.lost_seqs:
        lines.append(f"first lost seqs: {summary.lost_seqs}")
    return lines


def markdown(summary: RunSummary) -> str:
    """The README block: context, a per-round table (first 20 rounds) and the totals."""
    c, t = summary.context, summary.total
    out = [f"Run {c['when']}: `{c['command']}`", "",
           f"- machine: {c['machine']}; otelpy {c['otelpy']}",
           f"- pipeline: {c['pipeline']}", f"- load: {c['load']}", "",
           "| round | acked | delivered | lost | duplicates | kill -9 | sink outages "
           "| max ready s | max drain s | items/s |",
           "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for row in summary.rounds[:20]:
        out.append(f"| {row['round']} | {row['acked']:,} | {row['delivered']:,} | "
                   f"{row['lost']:,} | {row['duplicates']:,} | {row['otelpy_kills']} | "
                   f"{row['sink_outages']} | {_fmt_s(row['max_ready_s'])} | "
                   f"{_fmt_s(row['max_drain_s'])} | {row['items_per_s']:,.0f} |")
    if len(summary.rounds) > 20:
        out.append(f"| ... {len(summary.rounds) - 20} more rounds | | | | | | | | | |")
    out.append(f"| **total** | {t['acked']:,} | {t['delivered']:,} | {t['lost']:,} | "
               f"{t['duplicates']:,} ({t['duplicate_ratio']:.3%}) | {t['otelpy_kills']} | "
               f"{t['sink_outages']} | {_fmt_s(t['max_ready_s'])} | "
               f"{_fmt_s(t['max_drain_s'])} | {t['items_per_s']:,.0f} |")
    out += [""] + [f"- {line}" for line in total_lines(summary)]
    return "\n".join(out)


def update_readme(readme: Path, block: str) -> bool:
    """Replace the text between the chaos markers; False when they are missing."""
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}")
    return True
