"""The fixed-depth prefix tree: the root's children are token counts, the next levels the
leading tokens (``depth`` of them), the leaves hold clusters.

A node has at most ``max_children`` children; a token arriving at a full node goes to its
``<*>`` child. A path is the tuple of keys from the root to a leaf.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from otelpy.logmine.masking import WILDCARD

if TYPE_CHECKING:
    from otelpy.logmine.patterns import Cluster

__all__ = ["TreeNode", "descend", "leaf_at", "leaf_if_any", "nearby_leaves", "wildcard_paths"]


class TreeNode:
    """A node of the prefix tree: children by token, clusters at the leaves."""

    __slots__ = ("children", "clusters")

    def __init__(self) -> None:
        self.children: dict[str, TreeNode] = {}
        self.clusters: list[Cluster] = []


def descend(root: TreeNode, keys: Sequence[str],
            max_children: int) -> tuple[TreeNode, tuple[str, ...]]:
    """The leaf for ``keys``, created when missing, and the path actually taken (a key that
    finds its node full becomes ``<*>``; the token count, the first key, never does)."""
    node = root
    used: list[str] = []
    for i, key in enumerate(keys):
        child = node.children.get(key)
        if child is None:
            if i and len(node.children) >= max_children - 1:
                key = WILDCARD
                child = node.children.get(key)
            if child is None:
                child = node.children[key] = TreeNode()
        used.append(key)
        node = child
    return node, tuple(used)


def leaf_at(root: TreeNode, path: Sequence[str]) -> TreeNode:
    """The node at ``path``, created when missing (restoring and moving clusters)."""
    node = root
    for key in path:
        node = node.children.setdefault(key, TreeNode())
    return node


def leaf_if_any(root: TreeNode, path: Sequence[str]) -> TreeNode | None:
    """The node at ``path``, or None."""
    node = root
    for key in path:
        child = node.children.get(key)
        if child is None:
            return None
        node = child
    return node


def wildcard_paths(path: Sequence[str]) -> Iterator[list[str]]:
    """``path`` with ``<*>`` in place of some of its leading-token keys: every combination
    that differs from ``path``, fewest replacements at the end first (deterministic)."""
    tokens = len(path) - 1
    for bits in range(1, 1 << tokens):
        alt = [path[0]] + [WILDCARD if (bits >> i) & 1 else k for i, k in enumerate(path[1:])]
        if alt != list(path):
            yield alt


def nearby_leaves(root: TreeNode, path: Sequence[str]) -> list[TreeNode]:
    """The leaf at ``path`` and every leaf whose path differs from it in one token key."""
    leaves: list[TreeNode] = []
    node = root.children[path[0]]
    for level in range(1, len(path) + 1):
        if level == len(path):
            leaves.append(node)
            break
        for key, child in node.children.items():
            if key == path[level]:
                continue
            for rest in path[level + 1:]:
                nxt = child.children.get(rest)
                if nxt is None:
                    break
                child = nxt
            else:
                leaves.append(child)
        node = node.children[path[level]]
    return leaves
