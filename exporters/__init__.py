"""Built-in exporters (installed as otelpy.exporters); one sub-package per component type."""
