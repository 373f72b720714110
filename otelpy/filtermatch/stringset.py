"""Sets of strings to match against: strict (equality) or regexp (RE2 search, optional LRU
cache of results), as the Collector's ``filterset``."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from otelpy.filtermatch.config import RegexpSettings
from otelpy.goregex import compile_go

__all__ = ["DEFAULT_CACHE_ENTRIES", "StringSet"]

#: Cache size used for ``cachemaxnumentries: 0`` (the Collector's cache is then unbounded).
DEFAULT_CACHE_ENTRIES = 100_000


class StringSet:
    """Does a string match any of the filters? ``match_type`` is ``strict`` or ``regexp``."""

    def __init__(self, filters: Sequence[str], match_type: str,
                 regexp: RegexpSettings | None = None) -> None:
        self._strict = match_type == "strict"
        self._exact = frozenset(filters)
        self._regexes = [compile_go(f) for f in dict.fromkeys(filters)] if not self._strict \
            else []
        self._cache: OrderedDict[str, bool] | None = None
        self._cache_size = 0
        self.evictions = 0
        if not self._strict and regexp is not None and regexp.cacheenabled:
            self._cache = OrderedDict()
            self._cache_size = regexp.cachemaxnumentries or DEFAULT_CACHE_ENTRIES

    def matches(self, text: str) -> bool:
        if self._strict:
            return text in self._exact
        cache = self._cache
        if cache is None:
            return any(r.search(text) for r in self._regexes)
        found = cache.get(text)
        if found is not None:
            cache.move_to_end(text)
            return found
        result = any(r.search(text) for r in self._regexes)
        cache[text] = result
        if len(cache) > self._cache_size:
            cache.popitem(last=False)
            self.evictions += 1
        return result
