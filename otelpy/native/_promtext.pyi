class Layout:
    """The lines of a scrape body, values apart: ``(expected bytes, kind)`` per line, kind
    0 an exact line, 1 a kept sample line (bytes up to its value), 2 a skipped one."""

    kept: int
    lines: int
    def __init__(self, lines: list[tuple[bytes, int]], /) -> None: ...
    def match(self, body: str | bytes, /) -> bytes | None: ...

def write(families: list[tuple[int, list[tuple[object, ...]]]], values: bytes, ts_ns: int,
          generation: int, /) -> list[bytes] | None: ...
