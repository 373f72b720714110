"""Errors of the transform language: parse and compile errors carry the column in the
statement; evaluation errors are what ``error_mode`` decides about."""

from __future__ import annotations


class OttlError(Exception):
    """Base of the transform language's errors."""


class ParseError(OttlError):
    """The statement or condition is not valid OTTL (or uses what otelpy does not
    implement). ``column`` is 1-based within the statement text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return f"column {self.column}: {self.message}"


class EvalError(OttlError):
    """A statement or condition failed on one item (wrong type, bad index, ...)."""
