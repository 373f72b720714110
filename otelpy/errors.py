"""The small exception hierarchy, grouped by what the caller can do about an error."""

from __future__ import annotations

from contextvars import ContextVar


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


class SendProgress:
    """How far one send attempt got, told by a transport that knows (the HTTP client).

    ``written`` is None while no transport said anything (whatever happens then may have
    arrived), False once a transport started the attempt and has written no byte, True
    from the moment it starts writing the request. The exporter helper sets a fresh one
    in :data:`send_progress` around each attempt, so a per-attempt timeout that fires
    before any byte was written (e.g. while connecting) is known not to have arrived.
    """

    __slots__ = ("written",)

    def __init__(self) -> None:
        self.written: bool | None = None

    @property
    def may_have_arrived(self) -> bool:
        return self.written is not False


send_progress: ContextVar[SendProgress | None] = ContextVar("otelpy_send_progress",
                                                            default=None)


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
