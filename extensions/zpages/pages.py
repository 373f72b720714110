"""The zPages as HTML: plain tables in the Collector's layout, every value escaped.

Each function takes what the host reported (a :class:`~otelpy.hostview.ServiceView`, or
None when the host cannot describe the service) and returns a whole page. Nothing here
loads anything from the network: the pages work offline.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode

from otelpy.config.types import format_duration
from otelpy.hostview import PipelineView, ServiceView

DESCRIPTION = "otelpy: a telemetry pipeline engine in the shape of the OpenTelemetry Collector"
NO_VIEW = ("This host does not describe the running service (otelpy's own service always "
           "does; an embedding host may not), so there is nothing to list.")
# the latency buckets of the Collector's tracez summary
LATENCY_BUCKETS = (">0s", ">10µs", ">100µs", ">1ms", ">10ms", ">100ms", ">1s", ">10s", ">1m40s")


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _page(title: str, *parts: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n</head>\n<body>\n<h2>{escape(title)}</h2>\n"
            + "\n".join(parts) + "\n</body>\n</html>\n")


def _note(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _link(text: str, href: str) -> str:
    return f"<a href=\"{escape(href)}\">{escape(text)}</a>"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; ``rows`` hold HTML (already escaped), headers are text."""
    head = "".join(f"<th style=\"text-align: left; padding: 0 1em\">{escape(h)}</th>"
                   for h in headers)
    lines = ["<table style=\"border-spacing: 0\">", f"<tr>{head}</tr>"]
    for i, row in enumerate(rows):
        shade = " style=\"background: #eee\"" if i % 2 == 0 else ""
        cells = "".join(f"<td style=\"padding: 0 1em\">{c}</td>" for c in row)
        lines.append(f"<tr{shade}>{cells}</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _properties(name: str, rows: Sequence[tuple[str, str]]) -> str:
    return f"<b>{escape(name)}:</b>\n" + _table(("Property", "Value"), (
        (f"<b>{escape(k)}</b>", escape(v)) for k, v in rows))


def _runtime_rows(view: ServiceView | None, now: float) -> list[tuple[str, str]]:
    rows = []
    if view is not None:
        rows += [("StartTimestamp", rfc3339(view.started_at)),
                 ("Uptime", format_duration(round(max(0.0, now - view.started_at), 3)))]
    return rows + [("Python", sys.version.split()[0]),
                   ("Implementation", sys.implementation.name),
                   ("OS", sys.platform), ("Arch", os.uname().machine), ("PID", str(os.getpid()))]


def _config_rows(view: ServiceView) -> list[tuple[str, str]]:
    sources = ", ".join(view.config_sources) or "embedded default config"
    rows = [("Sources", sources), ("--set overrides", str(view.config_overrides)),
            ("LoadedAt", rfc3339(view.config_loaded_at)), ("Reloads", str(view.reloads))]
    rows += [(section.capitalize(), str(n)) for section, n in view.configured.items()]
    rows.append(("Pipelines", str(len(view.pipelines))))
    rows.append(("OwnMetrics", view.telemetry_address or "disabled"))
    return rows


def servicez(view: ServiceView | None, now: float, expvar: bool) -> str:
    """Build and runtime info, a config summary, and links to the other pages."""
    build = [("Command", view.command if view else "otelpy"), ("Description", DESCRIPTION),
             ("Version", view.version if view else "unknown")]
    parts = [_properties("Build Info", build), _properties("Runtime Info",
                                                           _runtime_rows(view, now))]
    parts.append(_properties("Config", _config_rows(view)) if view else _note(NO_VIEW))
    links = [("Pipelines", "pipelinez"), ("Extensions", "extensionz"),
             ("Features", "featurez"), ("Traces", "tracez")]
    if expvar:
        links.append(("Expvar", "expvarz"))
    parts += [f"<h6>{_link(name, href)}</h6>" for name, href in links]
    return _page(f"Service {view.command if view else 'otelpy'}", *parts)


def _component_links(pipeline: str, kind: str, names: Sequence[str], sep: str) -> str:
    return sep.join(_link(n, "?" + urlencode({"zpipelinename": pipeline, "zcomponentname": n,
                                              "zcomponentkind": kind})) for n in names)


def _pipeline_row(p: PipelineView) -> list[str]:
    procs = _component_links(p.id, "processor", p.processors, " &rarr; ")
    return [escape(p.id), escape(p.signal), str(p.mutates_data).lower(),
            _component_links(p.id, "receiver", p.receivers, "<br>"),
            "&rarr; " + procs + (" &rarr;" if procs else ""),
            _component_links(p.id, "exporter", p.exporters, "<br>"), escape(p.status)]


def _selected_component(view: ServiceView, query: Mapping[str, str]) -> str:
    pipeline, name = query.get("zpipelinename", ""), query.get("zcomponentname", "")
    kind = query.get("zcomponentkind", "")
    if not (pipeline and name and kind):
        return ""
    found = next((p for p in view.pipelines if p.id == pipeline), None)
    if found is None or name not in {"receiver": found.receivers, "exporter": found.exporters,
                                     "processor": found.processors}.get(kind, ()):
        return _note(f"pipeline {pipeline!r} has no {kind} {name!r}")
    full = f"{pipeline}/{name}" if kind == "processor" else name
    return (f"<h6>{escape(kind)}: {escape(full)}</h6>\n"
            + _note(f"in pipeline {pipeline} (status: {found.status})"))


def pipelinez(view: ServiceView | None, query: Mapping[str, str]) -> str:
    """Every pipeline with its receivers, processors and exporters."""
    if view is None:
        return _page("Pipelines", _note(NO_VIEW))
    headers = ("FullName", "InputType", "MutatesData", "Receivers", "Processors", "Exporters",
               "Status")
    table = _table(headers, (_pipeline_row(p) for p in view.pipelines))
    return _page("Pipelines", table, _selected_component(view, query))


def extensionz(view: ServiceView | None, query: Mapping[str, str]) -> str:
    """The extensions of service::extensions and whether each is running."""
    if view is None:
        return _page("Extensions", _note(NO_VIEW))
    rows = [(_link(e.id, "?" + urlencode({"zextensionname": e.id})),
             "running" if e.running else "not running") for e in view.extensions]
    parts = [_table(("FullName", "State"), rows)]
    if not view.extensions:
        parts.append(_note("No extensions are enabled in service::extensions."))
    chosen = query.get("zextensionname", "")
    if chosen:
        ext = next((e for e in view.extensions if e.id == chosen), None)
        parts.append(_note(f"no extension {chosen!r} is enabled") if ext is None else
                     f"<h6>{escape(ext.id)}</h6>\n"
                     + _note("running" if ext.running else "not running"))
    return _page("Extensions", *parts)


def featurez() -> str:
    """The feature gates: otelpy has none, so the table is empty and says why."""
    headers = ("ID", "Enabled", "Description", "Stage", "From Version", "To Version",
               "Reference URL")
    return _page("Feature Gates", _table(headers, ()), _note(
        "otelpy has no feature gates: every behaviour is set in the config file (the "
        "Collector's --feature-gates flag is not supported)."))


def tracez() -> str:
    """The span summary: empty, since otelpy records no spans about its own work."""
    headers = ("Span Name", "Running", *LATENCY_BUCKETS, "Errors")
    return _page("TraceZ Summary", _note(
        "otelpy records no spans about its own work (service::telemetry::traces is not "
        "supported), so there are no span names, latency samples or error samples to "
        "show. Its own metrics are on service::telemetry::metrics."), _table(headers, ()))
