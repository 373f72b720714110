"""The small exception hierarchy, grouped by what the caller can do about an error."""

from __future__ import annotations


class OtelpyError(Exception):
    """Base of every error otelpy raises on purpose."""


class ConfigError(OtelpyError):
    """The configuration is invalid; ``problems`` lists every finding (already formatted)."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class ConsumerError(OtelpyError):
    """Data was refused by a consumer."""


class RetryableError(ConsumerError):
    """Refused for now (backpressure, backend down); sending again later may succeed.

    ``retry_after`` is the server's hint in seconds, when it gave one.
    ``may_have_arrived`` is False only when the data certainly did not reach the
    destination (the connection could not be established, or the server answered that
    it did not take the data); True (the default) when it may have, e.g. a timeout or a
    connection reset while sending. The persistent queue uses it to count possible
    duplicates after a restart.
    """

    def __init__(self, message: str, retry_after: float | None = None, *,
                 may_have_arrived: bool = True) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.may_have_arrived = may_have_arrived


class PermanentError(ConsumerError):
    """Refused for good (malformed data, rejected by the backend); never retry."""


class ComponentStartError(OtelpyError):
    """A component failed to start; the message names its ID."""


class AuthError(OtelpyError):
    """A request failed authentication.

    The message says why, for a DEBUG log line only: it never reaches the client and
    never holds a credential. ``challenge`` is the ``WWW-Authenticate`` value an HTTP
    server answers with (empty = none).
    """

    def __init__(self, message: str, challenge: str = "") -> None:
        super().__init__(message)
        self.challenge = challenge
