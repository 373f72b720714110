"""The template miner: a fixed-depth prefix tree of clusters, grouped into patterns."""

from __future__ import annotations

from otelpy.logmine import tree
from otelpy.logmine.masking import WILDCARD, mask
from otelpy.logmine.patterns import Cluster, Match, MinerOptions, Pattern, pattern_id_of, shape_of
from otelpy.logmine.tree import TreeNode

__all__ = ["TemplateMiner"]


class TemplateMiner:
    """Streaming template mining; deterministic: the same messages in the same order give
    the same patterns, IDs and templates, also across :meth:`to_bytes` / :meth:`from_bytes`.
    """

    def __init__(self, options: MinerOptions | None = None) -> None:
        self.options = options or MinerOptions()
        self._root = TreeNode()
        self._by_template: dict[str, Cluster] = {}
        self._by_shape: dict[str, Pattern] = {}
        self._patterns: dict[str, Pattern] = {}
        self._aliases: dict[str, str] = {}
        self._recent: dict[int, Cluster] = {}      # clusters, least recently seen first
        self.seen = 0
        self.evicted = 0
        self.merged = 0

    # -- queries -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._patterns)

    @property
    def cluster_count(self) -> int:
        """Templates kept (bounded by ``max_patterns``)."""
        return len(self._recent)

    def patterns(self) -> list[Pattern]:
        """Every live pattern, oldest first."""
        return sorted(self._patterns.values(), key=lambda p: p.first_seen)

    def resolve(self, pattern_id: str) -> str | None:
        """The live pattern an ID now belongs to (itself, or where it was merged), or None
        when it was evicted or never existed."""
        seen: set[str] = set()
        while pattern_id not in self._patterns:
            nxt = self._aliases.get(pattern_id)
            if nxt is None or pattern_id in seen:
                return None
            seen.add(pattern_id)
            pattern_id = nxt
        return pattern_id

    def aliases(self) -> dict[str, str]:
        """IDs of patterns merged into others, each with the live pattern it joined."""
        return dict(self._aliases)

    def get(self, pattern_id: str) -> Pattern | None:
        """The live pattern for an ID (following merges), or None."""
        live = self.resolve(pattern_id)
        return None if live is None else self._patterns[live]

    # -- mining --------------------------------------------------------------------------

    def add(self, message: str) -> Match:
        """Mine one message: the pattern it belongs to (created when new)."""
        self.seen += 1
        tokens = mask(message).split()
        key = " ".join(tokens)
        cluster = self._by_template.get(key)
        new = False
        if cluster is None:
            leaf, path = tree.descend(self._root, self._path(tokens),
                                      self.options.max_children)
            cluster = self._search(leaf, path, tokens) or self._variant_of(path, tokens)
            if cluster is None:
                cluster, new = self._create(leaf, path, tokens)
            else:
                self._generalise(cluster, tokens)
        self._touch(cluster)
        pattern = cluster.pattern
        return Match(pattern.id, pattern.template, new)

    def match(self, message: str) -> Pattern | None:
        """The pattern a message would join, without learning from it."""
        tokens = mask(message).split()
        cluster = self._by_template.get(" ".join(tokens))
        if cluster is None:
            path = tuple(self._path(tokens))
            cluster = self._search(tree.leaf_if_any(self._root, path), path, tokens)
        return None if cluster is None else cluster.pattern

    def _touch(self, cluster: Cluster) -> None:
        seq = self.seen
        cluster.count += 1
        pattern = cluster.pattern
        pattern.count += 1
        pattern.last_seen = cluster.last_seen = seq
        recent = self._recent
        ident = id(cluster)
        del recent[ident]
        recent[ident] = cluster

    def _path(self, tokens: list[str]) -> list[str]:
        path = [str(len(tokens))]
        path.extend(tokens[: self.options.depth])
        return path

    def _best(self, clusters: list[Cluster], tokens: list[str]) -> Cluster | None:
        """The cluster most similar to ``tokens`` at or above the threshold (ties: more
        equal tokens, then the older cluster)."""
        best: Cluster | None = None
        best_score = -1.0
        n = len(tokens)
        if n == 0:
            return clusters[0] if clusters else None
        threshold = self.options.similarity
        for cluster in clusters:
            same = 0
            differ = 0
            for t, tok in zip(cluster.tokens, tokens, strict=True):
                if t == tok:
                    if t != WILDCARD:
                        same += 1
                elif t != WILDCARD:
                    differ += 1
            if same == 0:
                continue
            score = same / (same + differ)
            if score > threshold and score + same / (n + 1) / n > best_score:
                best, best_score = cluster, score + same / (n + 1) / n
        return best

    def _variant_of(self, path: tuple[str, ...], tokens: list[str]) -> Cluster | None:
        """When ``max_variants - 1`` clusters differ from ``tokens`` in one and the same
        position only (a word taking many values), that position becomes a variable in all
        of them and the first one is returned; otherwise None."""
        siblings: dict[int, list[Cluster]] = {}
        for cluster in (c for leaf in tree.nearby_leaves(self._root, path) for c in leaf.clusters):
            where = -1
            for i, (t, tok) in enumerate(zip(cluster.tokens, tokens, strict=True)):
                if t != tok:
                    if where >= 0 or t == WILDCARD or tok == WILDCARD:
                        break
                    where = i
            else:
                if where >= 0:
                    siblings.setdefault(where, []).append(cluster)
        for where, found in siblings.items():
            kept = sum(1 for t in tokens if t != WILDCARD) - 1
            if len(found) + 1 >= self.options.max_variants and kept >= 2:
                loose = list(tokens)
                loose[where] = WILDCARD
                keep = found[0]
                for cluster in found:
                    self._generalise(cluster, loose)
                for cluster in found[1:]:
                    self._fold(keep, cluster)
                if where + 1 < len(path):
                    wild = list(keep.path)
                    wild[where + 1] = WILDCARD
                    self._move(keep, tuple(wild))
                return keep
        return None

    def _search(self, leaf: TreeNode | None, path: tuple[str, ...],
                tokens: list[str]) -> Cluster | None:
        """The best cluster in the message's own leaf, else in the leaves reached with
        ``<*>`` in place of some of its leading tokens."""
        found = None if leaf is None else self._best(leaf.clusters, tokens)
        if found is not None:
            return found
        for alt in tree.wildcard_paths(path):
            other = tree.leaf_if_any(self._root, alt)
            if other is not None:
                found = self._best(other.clusters, tokens)
                if found is not None:
                    return found
        return None

    def _fold(self, keep: Cluster, gone: Cluster) -> None:
        """Fold a cluster with the same template as ``keep`` into it."""
        keep.count += gone.count
        keep.last_seen = max(keep.last_seen, gone.last_seen)
        keep.born = min(keep.born, gone.born)
        gone.leaf.clusters.remove(gone)
        del self._recent[id(gone)]
        key = " ".join(gone.tokens)
        if self._by_template.get(key) is gone:
            self._by_template[key] = keep
        gone.pattern.clusters.remove(gone)

    def _move(self, cluster: Cluster, path: tuple[str, ...]) -> None:
        cluster.leaf.clusters.remove(cluster)
        cluster.path = path
        cluster.leaf = tree.leaf_at(self._root, path)
        cluster.leaf.clusters.append(cluster)

    def _create(self, leaf: TreeNode, path: tuple[str, ...],
                tokens: list[str]) -> tuple[Cluster, bool]:
        if len(self._recent) >= self.options.max_patterns:
            self._evict(next(iter(self._recent.values())))
        shape = shape_of(tokens)
        pattern = self._by_shape.get(shape)
        new_pattern = pattern is None
        if pattern is None:
            pattern = Pattern(pattern_id_of(shape), shape, first_seen=self.seen)
            while pattern.id in self._patterns or pattern.id in self._aliases:
                pattern.id = pattern_id_of(pattern.id)
            self._patterns[pattern.id] = pattern
            self._by_shape[shape] = pattern
            pattern.shapes.add(shape)
        cluster = Cluster(tokens, pattern, path, leaf, born=self.seen)
        pattern.clusters.append(cluster)
        leaf.clusters.append(cluster)
        self._by_template.setdefault(" ".join(tokens), cluster)
        self._recent[id(cluster)] = cluster
        return cluster, new_pattern

    def _generalise(self, cluster: Cluster, tokens: list[str]) -> None:
        old = cluster.tokens
        new = [t if t == tok else WILDCARD for t, tok in zip(old, tokens, strict=True)]
        if new == old:
            return
        old_key = " ".join(old)
        if self._by_template.get(old_key) is cluster:
            del self._by_template[old_key]
        cluster.tokens = new
        self._by_template.setdefault(" ".join(new), cluster)
        pattern = cluster.pattern
        old_shape, new_shape = shape_of(old), shape_of(new)
        if old_shape == new_shape:
            return
        if not any(shape_of(c.tokens) == old_shape for c in pattern.clusters):
            pattern.shapes.discard(old_shape)
            del self._by_shape[old_shape]
        if pattern.clusters[0] is cluster:
            pattern.template = new_shape
        other = self._by_shape.get(new_shape)
        if other is None:
            self._by_shape[new_shape] = pattern
            pattern.shapes.add(new_shape)
        elif other is not pattern:
            self._merge(other, pattern)

    def _merge(self, a: Pattern, b: Pattern) -> None:
        """Join two patterns; the older one (first seen first) keeps its ID."""
        keep, gone = (a, b) if a.first_seen <= b.first_seen else (b, a)
        for cluster in gone.clusters:
            cluster.pattern = keep
        keep.clusters.extend(gone.clusters)
        keep.count += gone.count
        keep.last_seen = max(keep.last_seen, gone.last_seen)
        for shape in gone.shapes:
            self._by_shape[shape] = keep
        keep.shapes |= gone.shapes
        for alias in gone.aliases:
            self._aliases[alias] = keep.id
        keep.aliases |= gone.aliases
        keep.aliases.add(gone.id)
        del self._patterns[gone.id]
        self._aliases[gone.id] = keep.id
        self.merged += 1

    def _evict(self, cluster: Cluster) -> None:
        del self._recent[id(cluster)]
        self.evicted += 1
        cluster.leaf.clusters.remove(cluster)
        key = " ".join(cluster.tokens)
        if self._by_template.get(key) is cluster:
            del self._by_template[key]
        pattern = cluster.pattern
        pattern.clusters.remove(cluster)
        if not pattern.clusters:
            del self._patterns[pattern.id]
            for shape in pattern.shapes:
                del self._by_shape[shape]
            for alias in pattern.aliases:
                del self._aliases[alias]
            return
        pattern.template = shape_of(pattern.clusters[0].tokens)
        shape = shape_of(cluster.tokens)
        if not any(shape_of(c.tokens) == shape for c in pattern.clusters):
            pattern.shapes.discard(shape)
            del self._by_shape[shape]

    # -- state ---------------------------------------------------------------------------

    def restore(self, patterns: list[Pattern], aliases: dict[str, str],
                counters: tuple[int, int, int]) -> None:
        """Load patterns (with their clusters' tokens, paths and counts) into an empty
        miner; :mod:`otelpy.logmine.state` calls this. Raises ValueError when not empty."""
        if self._patterns:
            raise ValueError("restore() needs an empty miner")
        self.seen, self.evicted, self.merged = counters
        clusters: list[Cluster] = []
        for pattern in patterns:
            self._patterns[pattern.id] = pattern
            for cluster in pattern.clusters:
                cluster.pattern = pattern
                shape = shape_of(cluster.tokens)
                pattern.shapes.add(shape)
                self._by_shape[shape] = pattern
                clusters.append(cluster)
        for alias, target in aliases.items():
            if target in self._patterns:
                self._aliases[alias] = target
                self._patterns[target].aliases.add(alias)
        for cluster in sorted(clusters, key=lambda c: c.born):
            cluster.leaf = tree.leaf_at(self._root, cluster.path)
            cluster.leaf.clusters.append(cluster)
            self._by_template.setdefault(" ".join(cluster.tokens), cluster)
        for cluster in sorted(clusters, key=lambda c: c.last_seen):
            self._recent[id(cluster)] = cluster
        while len(self._recent) > self.options.max_patterns:
            self._evict(next(iter(self._recent.values())))
