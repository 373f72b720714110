"""Attribute actions shared by the ``attributes`` and ``resource`` processors.

:class:`ActionKeyValue` is one action in a config model; :func:`action_problems` checks a list
of them for ``validate_config``; :class:`AttrProc` compiles a list and applies it to an
:class:`~otelpy.pdata.values.Attributes` mapping. See README.md.
"""

from otelpy.attraction.config import ACTIONS, ActionKeyValue, action_problems
from otelpy.attraction.engine import AttrProc

__all__ = ["ACTIONS", "ActionKeyValue", "AttrProc", "action_problems"]
