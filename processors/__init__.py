"""Built-in processors (installed as otelpy.processors); one sub-package per component type."""
