"""Built-in extensions (installed as otelpy.extensions); one sub-package per component type."""
