from collections.abc import Sequence

Group = tuple[str, int, int, list[float], list[int] | None]
EdgeSpan = tuple[int, bytes, bytes, bytes, float, bool, dict[str, bytes]]

def span_groups(data: bytes, bounds: Sequence[float] | None, divider: float, /
                ) -> list[tuple[bytes, list[tuple[bytes, list[Group]]]]]: ...
def edge_spans(data: bytes, resource_keys: tuple[str, ...] | None,
               span_keys: tuple[str, ...] | None, /
               ) -> list[tuple[dict[str, bytes], list[EdgeSpan]]]: ...
