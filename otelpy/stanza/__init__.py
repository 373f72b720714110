"""stanza: the Collector's log operators (parsers, field moves, routing, recombination,
container logs) as an engine for log receivers (filelog today; syslog and others later).

* :mod:`~otelpy.stanza.config`: the operator config models (``operators:`` list items).
* :mod:`~otelpy.stanza.pipeline`: :func:`operator_problems` and :class:`Pipeline`.
* :mod:`~otelpy.stanza.entry`, :mod:`~otelpy.stanza.expr`: entries, fields, expressions.
* :mod:`~otelpy.stanza.records`: entries <-> OTLP LogRecords.
* :mod:`~otelpy.stanza.presets`: ready-made operator lists (nginx, apache, JSON).

Nothing here imports a component. See README.md in this directory.
"""
