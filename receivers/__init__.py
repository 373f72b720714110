"""Built-in receivers (installed as otelpy.receivers); one sub-package per component type."""
