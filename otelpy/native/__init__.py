"""otelpy's C modules: hot paths a benchmark showed Python cannot reach (see README.md).

Each ``*.c`` file in this folder is built by ``setup.py`` into ``otelpy.native._<name>`` when
the package is installed (``make setup`` / ``make test`` rebuild it when a source changes).
``wire.h`` is the shared bounds-checked reader of the protobuf wire format.
"""
