"""Alert rule evaluation inside the pipeline: the engine behind the ``alerting`` connector.

``window`` turns OTLP metrics into the Prometheus series the rules read (named by
:mod:`otelpy.prometheus`) and keeps a bounded window of samples; ``inline`` evaluates the
product's inline rules (static, adaptive, anomaly_detection); ``groups`` runs rule groups and
reports alert state changes; ``events`` turns them into log records and metrics; ``state``
keeps pending and firing alerts across restarts. See README.md.
"""
