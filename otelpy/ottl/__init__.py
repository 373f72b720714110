"""The OpenTelemetry Transformation Language (OTTL): statements and conditions compiled
once to closures over pdata items. See README.md for what is implemented."""

from otelpy.ottl.errors import EvalError, OttlError, ParseError
from otelpy.ottl.parser import parse_condition, parse_statement
from otelpy.ottl.program import (
    SIGNAL_CONTEXTS,
    CompileError,
    ConditionSet,
    ErrorMode,
    StatementFailed,
    StatementGroup,
    infer_context,
)

__all__ = [
    "SIGNAL_CONTEXTS", "CompileError", "ConditionSet", "ErrorMode", "EvalError", "OttlError",
    "ParseError", "StatementFailed", "StatementGroup", "infer_context", "parse_condition",
    "parse_statement",
]
