"""A logging filter that keeps passwords in URLs out of otelpy's log lines.

Installed on the handler :func:`otelpy.telemetry.setup_logging` creates: every record's
message (arguments included) has ``scheme://user:password@`` rewritten to
``scheme://user:[REDACTED]@`` before it is written. Components also avoid logging
secrets in the first place; this is the safety net for messages that quote a URL
from a library's exception.
"""

from __future__ import annotations

import logging

from otelpy.config.redact import redact_url_userinfo

__all__ = ["RedactingFilter"]


class RedactingFilter(logging.Filter):
    """Rewrites URL passwords in a record's message; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed format: leave it to the handler
            return True
        if "@" in message:
            redacted = redact_url_userinfo(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        return True
