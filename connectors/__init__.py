"""Built-in connectors (installed as otelpy.connectors); one sub-package per component type."""
