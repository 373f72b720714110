from collections.abc import Callable
from typing import Any

def numbers(raw: bytes, fast: dict[bytes, Any], entries: dict[Any, Any],
            slow: Callable[[int, int], tuple[Any, float, int]],
            add_to: Callable[[Any, float, int], None], memo: list[Any], /
            ) -> tuple[int, int]: ...
def requests(entries: dict[Any, Any], max_bytes: int, other: Callable[[Any, Any], bytes],
             tail: list[bytes], /) -> list[tuple[bytes, int]]: ...
def split(request: bytes, /) -> tuple[bytes, list[tuple[int, int, int]]]: ...
