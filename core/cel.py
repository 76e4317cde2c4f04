"""CEL (Common Expression Language) conditions: compiled once, evaluated often, with
bounded work and errors that say where.

Marketers and admins write conditions at run time (segments today, campaign
conditions next), so an expression is hostile input: it is refused at compile
time unless its work is bounded by its length.

- Syntax errors, calls outside the allowlist and unknown variables are `CelError`s
  with a 1-based line and column, so an admin screen can point at the mistake.
- Work: comprehension macros (`map`, `filter`, `all`, `exists`, `exists_one`) nest
  into exponential loops (six nested `map`s over ten items ran ~5 s in one call),
  so only the functions in `functions` may be called (`DEFAULT_FUNCTIONS`: none of
  them iterates); the parser bounds nesting; the caller bounds the length. What is
  left evaluates in time linear in the expression (microseconds for a real one).
- Evaluation errors (a missing overload such as `null > 3`, a division by zero)
  are `CelEvaluationError`s: the caller decides what a failed evaluation means.

The engine is the Rust `cel` crate through PyO3 (PyPI `common-expression-language`,
pyproject.toml says why). This module imports nothing of the project.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import cel as _cel

DEFAULT_MAX_LENGTH = 2000
# Calls a condition may make: conversions, string tests and `has`. Nothing here loops over
# a collection, so an expression's work stays linear in its length.
DEFAULT_FUNCTIONS = frozenset({
    "has", "size", "int", "uint", "double", "string",
    "contains", "startsWith", "endsWith", "matches",
    "timestamp", "duration",
})
KEYWORDS = frozenset({"true", "false", "null", "in"})
MAX_MESSAGE = 300  # an error message quotes a bounded part of what the parser said


class CelError(Exception):
    """A condition that cannot be used; `line` and `column` are 1-based, None when unknown."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    @property
    def where(self) -> str:
        return f"line {self.line}, column {self.column}" if self.line is not None else "somewhere"


class CelSyntaxError(CelError):
    """The text does not parse."""


class CelNotAllowed(CelError):
    """It parses, but calls something outside the allowlist (e.g. a comprehension macro)."""


class CelUnknownVariable(CelError):
    """It names a variable the caller did not declare."""


class CelEvaluationError(CelError):
    """Evaluating against one set of values failed (no position: the values caused it)."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "ident" or "punct"
    text: str
    line: int
    column: int


_PARSER_POSITION = re.compile(r"<input>:(\d+):(\d+):\s*(.*)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:0[xX][0-9A-Fa-f]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)[uU]?")
_STRING_PREFIX = re.compile(r"(?:[rR][bB]?|[bB][rR]?)?(?='|\")")


def _tokens(source: str) -> Iterator[_Token]:
    """Identifiers and punctuation with their positions; string literals, numbers and
    comments skipped. Run only on text the parser accepted, so it need not diagnose."""
    index, line, line_start = 0, 1, 0
    length = len(source)
    while index < length:
        char = source[index]
        column = index - line_start + 1
        if char == "\n":
            index, line, line_start = index + 1, line + 1, index + 1
        elif char.isspace():
            index += 1
        elif source.startswith("//", index):
            end = source.find("\n", index)
            index = length if end < 0 else end
        elif (prefix := _STRING_PREFIX.match(source, index)) is not None:
            start = prefix.end()
            quote = source[start:start + 3] if source[start:start + 3] in ("'''", '"""') else source[start]
            raw = "r" in prefix.group().lower()
            index = start + len(quote)
            while index < length and not source.startswith(quote, index):
                if source[index] == "\\" and not raw:
                    index += 1
                elif source[index] == "\n":
                    line, line_start = line + 1, index + 1
                index += 1
            index += len(quote)
        elif (number := _NUMBER.match(source, index)) is not None and not char.isalpha():
            index = number.end()
        elif (ident := _IDENT.match(source, index)) is not None:
            yield _Token("ident", ident.group(), line, column)
            index = ident.end()
        else:
            yield _Token("punct", char, line, column)
            index += 1


def _calls_and_names(source: str) -> tuple[list[_Token], list[_Token]]:
    """(the functions called, the top-level names read): `a.b(` calls b, `f(` calls f;
    a name after a dot is a field or a method, not a variable."""
    tokens = list(_tokens(source))
    calls, names = [], []
    for position, token in enumerate(tokens):
        if token.kind != "ident":
            continue
        before = tokens[position - 1] if position else None
        after = tokens[position + 1] if position + 1 < len(tokens) else None
        if after is not None and after.text == "(":
            calls.append(token)
        elif (before is None or before.text != ".") and token.text not in KEYWORDS:
            names.append(token)
    return calls, names


def _syntax_error(error: Exception) -> CelSyntaxError:
    text = str(error)
    found = _PARSER_POSITION.search(text)
    if found is None:
        return CelSyntaxError(f"syntax error: {text[:MAX_MESSAGE]}")
    detail = found.group(3).splitlines()[0].strip() if found.group(3) else "syntax error"
    return CelSyntaxError(detail[:MAX_MESSAGE], int(found.group(1)), int(found.group(2)))


class Bindings:
    """Variables converted to CEL values once, for many expressions: converting a basket's
    values is most of an evaluation's cost (measured: ~100 us to convert them, ~25 us to
    evaluate a condition on them, ~750 us to convert a basket of 100 SKUs), so an engine
    that checks many conditions on one basket binds its values once (`bind`)."""

    __slots__ = ("_context",)

    def __init__(self, context: Any) -> None:
        self._context = context


def bind(values: Mapping[str, Any]) -> Bindings:
    """The values, converted once for any number of `Expression.evaluate` calls."""
    try:
        return Bindings(_cel.Context(dict(values)))
    except Exception as error:  # noqa: BLE001 - a value CEL cannot hold
        message = " ".join(str(error).split())[:MAX_MESSAGE] or type(error).__name__
        raise CelEvaluationError(message) from error


@dataclass(frozen=True)
class Expression:
    """A compiled condition: evaluate it as often as needed."""

    source: str
    variables: frozenset[str]  # the declared variables it reads
    _program: Any

    def evaluate(self, values: Mapping[str, Any] | Bindings) -> Any:
        """The expression's value for these variables (None, bool, int, float, Decimal (read as a
        double), str, and lists and maps of them; or values bound once by `bind`);
        CelEvaluationError when CEL cannot evaluate it."""
        try:
            return self._program.execute(values._context if isinstance(values, Bindings) else dict(values))
        except Exception as error:  # noqa: BLE001 - whatever the engine raises is an evaluation error
            message = " ".join(str(error).split())[:MAX_MESSAGE] or type(error).__name__
            raise CelEvaluationError(message) from error


def compile_expression(
    source: str,
    *,
    variables: Collection[str],
    functions: Collection[str] = DEFAULT_FUNCTIONS,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> Expression:
    """Compile `source` once; refuses (CelError, with a position where there is one) text
    longer than `max_length`, syntax errors, calls outside `functions` and variables
    outside `variables`."""
    if not source.strip():
        raise CelSyntaxError("the expression is empty", 1, 1)
    if len(source) > max_length:
        raise CelSyntaxError(f"the expression has {len(source)} characters; at most {max_length}")
    try:
        program = _cel.compile(source)
    except Exception as error:  # noqa: BLE001 - the engine reports parse errors as ValueError
        raise _syntax_error(error) from error
    calls, names = _calls_and_names(source)
    for call in calls:
        if call.text not in functions:
            raise CelNotAllowed(f"{call.text}() is not available here (allowed: {', '.join(sorted(functions))})",
                                call.line, call.column)
    referenced = set(program.variables())
    unknown = referenced - set(variables)
    if unknown:
        first = next((n for n in names if n.text in unknown), None)
        name = first.text if first else sorted(unknown)[0]
        raise CelUnknownVariable(f"unknown variable {name!r} (known: {', '.join(sorted(variables))})",
                                 first.line if first else None, first.column if first else None)
    return Expression(source, frozenset(referenced), program)
