"""Configuration of the logpattern processor."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration, ExtensionID


class LogPatternConfig(ConfigModel):
    """``processors: logpattern:`` settings. The mining knobs default to values meant for
    every kind of log; change them only with a reason (see otelpy/logmine/README.md)."""

    source_attribute: str | None = Field(
        default=None,
        description="Read the message from this log record attribute instead of the body. "
                    "Records whose message is not a string are passed on untouched and "
                    "counted.")
    id_attribute: str = Field(
        default="log.pattern.id", min_length=1,
        description="Record attribute that receives the pattern's stable ID.")
    template_attribute: str = Field(
        default="log.pattern.template", min_length=1,
        description="Record attribute that receives the pattern's template (variables as "
                    "`<*>`).")
    max_patterns: int = Field(
        default=50_000, gt=0,
        description="Templates kept; past it the least recently seen one is evicted "
                    "(counted in otelpy_processor_logpattern_evicted).")
    similarity: float = Field(
        default=0.7, gt=0, lt=1,
        description="A message joins a template when it keeps more than this fraction of "
                    "the template's fixed words.")
    depth: int = Field(
        default=2, ge=0, le=16,
        description="Leading tokens that index the prefix tree (after the token count).")
    max_children: int = Field(
        default=100, gt=1,
        description="Children per tree node; further distinct tokens share a `<*>` node.")
    storage: ExtensionID | None = Field(
        default=None,
        description="ID of a storage extension (`file_storage/<name>`): learned patterns "
                    "are saved there and restored at start, so IDs survive a restart.")
    snapshot_interval: Duration = Field(
        default=30.0,
        description="How often the patterns are saved to `storage` when they changed "
                    "(also at shutdown). 0: only at shutdown.")
