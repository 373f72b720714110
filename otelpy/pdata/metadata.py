"""Client metadata carried with a batch: the request's headers (HTTP) or metadata (gRPC).

Receivers attach it when their ``include_metadata`` is on, as the Collector's
``client.Info.Metadata``; processors and connectors read it (``from_context`` in the
attributes processor, the routing connector's ``request`` context, the batch
processor's ``metadata_keys``). Keys are case-insensitive (stored lowercase); a key
may have several values, in the order they came.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping


class ClientMetadata(Mapping[str, tuple[str, ...]]):
    """An immutable, case-insensitive multimap of request metadata."""

    __slots__ = ("_values", "_hash")

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        values: dict[str, list[str]] = {}
        for key, value in pairs:
            values.setdefault(key.lower(), []).append(value)
        self._values = {k: tuple(v) for k, v in values.items()}
        self._hash: int | None = None

    @classmethod
    def from_grpc(cls, metadata: Iterable[tuple[str, str | bytes]] | None) -> ClientMetadata:
        """From gRPC invocation metadata; binary (``-bin``) and pseudo keys are left out."""
        return cls((k, v) for k, v in metadata or ()
                   if isinstance(v, str) and not k.endswith("-bin") and not k.startswith(":"))

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._values[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def first(self, key: str) -> str | None:
        """The first value of ``key``, or None."""
        values = self._values.get(key.lower())
        return values[0] if values else None

    def subset(self, keys: Iterable[str]) -> ClientMetadata:
        """Only ``keys`` (those present), as the batch processor's ``metadata_keys`` keeps."""
        out = ClientMetadata()
        out._values = {k: self._values[k] for k in (k.lower() for k in keys)
                       if k in self._values}
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ClientMetadata):
            return self._values == other._values
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._values.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"ClientMetadata({self._values!r})"


__all__ = ["ClientMetadata"]
