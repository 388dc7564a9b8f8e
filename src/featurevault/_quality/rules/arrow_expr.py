"""Simple ``expression`` rules compiled to Arrow kernels, so a pushed batch needs no DuckDB query.

Handles comparisons (``= == <> != < <= > >=``), ``AND``/``OR``/``NOT``, ``IS [NOT] NULL``,
``[NOT] BETWEEN``, ``+ - *``, parentheses, column names (bare or double-quoted, matched
case-insensitively as DuckDB does) and integer, decimal, string and boolean literals. It
keeps DuckDB's meaning or steps aside: :func:`compile_expression` returns None for anything
else (functions, ``/``, ``||``, ``CASE`` ...), and the compiled function raises
:class:`Unsupported` for a batch it cannot judge exactly as DuckDB would:

- a float column holding NaN (DuckDB orders NaN above every number and equal to itself);
- arithmetic mixing a fractional literal with an integer (DuckDB computes it in DECIMAL);
- types Arrow will not combine, and integer overflow (DuckDB raises there too).

The caller then runs the DuckDB query. Null logic is SQL's (Kleene AND/OR, null comparisons).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


class Unsupported(Exception):
    """This expression or batch is left to DuckDB."""


_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>'(?:[^']|'')*')
  | (?P<qid>"(?:[^"]|"")+")
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|==|[=<>()+\-*])
)""",
    re.VERBOSE,
)
_COMPARE = {
    "=": "equal",
    "==": "equal",
    "<>": "not_equal",
    "!=": "not_equal",
    "<": "less",
    "<=": "less_equal",
    ">": "greater",
    ">=": "greater_equal",
}
_ARITH = {"+": "add_checked", "-": "subtract_checked", "*": "multiply_checked"}
_KEYWORDS = {"and", "or", "not", "is", "null", "true", "false", "between"}

#: a compiled node: ``table -> (value, kind)``; kind is "float", "int", "fraction" (a fractional literal) or "other"
Node = Callable[[pa.Table], tuple[Any, str]]


def _tokens(sql: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = sql.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise Unsupported(text[pos:])
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "id" and value.lower() in _KEYWORDS:
            kind, value = "kw", value.lower()
        elif (
            kind == "id"
            and value.lower() == "in"
            or kind == "id"
            and match.end() < len(text)
            and text[match.end() :].lstrip().startswith("(")
        ):
            raise Unsupported(value)  # IN lists and function calls
        out.append((kind, value))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (value is not None and token[1] != value):
            raise Unsupported(f"expected {value!r}")
        self.i += 1
        return token

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] in ("kw", "op"):
            self.i += 1
            return True
        return False

    def expression(self) -> Node:
        node = self.conjunction()
        while self.accept("or"):
            node = _logic("or_kleene", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.accept("and"):
            node = _logic("and_kleene", node, self.negation())
        return node

    def negation(self) -> Node:
        if self.accept("not"):
            inner = self.negation()
            return lambda t: (pc.invert(_boolean(inner(t))), "other")
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        kind, value = self.peek()
        if kind == "op" and value in _COMPARE:
            self.i += 1
            return _compare(_COMPARE[value], left, self.sum())
        if self.accept("is"):
            negate = self.accept("not")
            self.take("null")
            return lambda t: (pc.is_valid(_value(left(t))) if negate else pc.is_null(_value(left(t))), "other")
        negate = self.accept("not")
        if self.accept("between"):
            low = self.sum()
            self.take("and")
            high = self.sum()
            inside = _logic("and_kleene", _compare("greater_equal", left, low), _compare("less_equal", left, high))
            return (lambda t: (pc.invert(_boolean(inside(t))), "other")) if negate else inside
        if negate:
            raise Unsupported("NOT here")
        return left

    def sum(self) -> Node:
        node = self.product()
        while self.peek() in (("op", "+"), ("op", "-")):
            node = _arith(_ARITH[self.take()[1]], node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.peek() == ("op", "*"):
            self.take()
            node = _arith("multiply_checked", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.accept("-"):
            inner = self.unary()
            return lambda t: _negate(inner(t))
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "op" and value == "(":
            node = self.expression()
            self.take(")")
            return node
        if kind == "num":
            return _number(value)
        if kind == "str":
            text = value[1:-1].replace("''", "'")
            return lambda t: (pa.scalar(text), "other")
        if kind == "kw" and value in ("true", "false"):
            flag = value == "true"
            return lambda t: (pa.scalar(flag), "other")
        if kind == "kw" and value == "null":
            return lambda t: (pa.scalar(None, pa.null()), "other")
        if kind in ("id", "qid"):
            return _column(value[1:-1].replace('""', '"') if kind == "qid" else value, quoted=kind == "qid")
        raise Unsupported(value)


def _number(text: str) -> Node:
    if "." in text:
        number = float(Decimal(text))
        return lambda t: (pa.scalar(number, pa.float64()), "fraction")
    integer = int(text)
    if integer >= 2**63:
        raise Unsupported("HUGEINT literal")
    return lambda t: (pa.scalar(integer, pa.int64()), "int")


def _column(name: str, quoted: bool) -> Node:
    def read(table: pa.Table) -> tuple[Any, str]:
        matches = [n for n in table.column_names if n == name or (not quoted and n.lower() == name.lower())]
        if len(matches) != 1:
            raise Unsupported(name)
        column = table.column(matches[0])
        if pa.types.is_floating(column.type):
            if pc.any(pc.is_nan(column)).as_py():
                raise Unsupported("NaN")
            return column, "float"
        return column, ("int" if pa.types.is_integer(column.type) else "other")

    return read


def _value(result: tuple[Any, str]) -> Any:
    return result[0]


def _boolean(result: tuple[Any, str]) -> Any:
    value = result[0]
    if not pa.types.is_boolean(value.type):
        raise Unsupported("not a boolean")
    return value


def _logic(kernel: str, left: Node, right: Node) -> Node:
    return lambda t: (pc.call_function(kernel, [_boolean(left(t)), _boolean(right(t))]), "other")


def _compare(kernel: str, left: Node, right: Node) -> Node:
    def run(table: pa.Table) -> tuple[Any, str]:
        a, b = left(table), right(table)
        return _call(kernel, a[0], b[0]), "other"

    return run


def _arith(kernel: str, left: Node, right: Node) -> Node:
    def run(table: pa.Table) -> tuple[Any, str]:
        (a, ka), (b, kb) = left(table), right(table)
        if "fraction" in (ka, kb) and "float" not in (ka, kb):
            raise Unsupported("DECIMAL arithmetic")
        kind = "float" if "float" in (ka, kb) or "fraction" in (ka, kb) else ("int" if ka == kb == "int" else "other")
        return _call(kernel, a, b), kind

    return run


def _negate(result: tuple[Any, str]) -> tuple[Any, str]:
    return _call("negate_checked", result[0]), result[1]


def _call(kernel: str, *args: Any) -> Any:
    try:
        return pc.call_function(kernel, list(args))
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        raise Unsupported(str(exc)) from None


@lru_cache(maxsize=256)
def compile_expression(sql: str) -> Callable[[pa.Table], pa.Array] | None:
    """``fails(table)``: True where the expression is false (null and true pass), or None when left to DuckDB."""
    try:
        parser = _Parser(_tokens(sql))
        node = parser.expression()
        if parser.peek()[0] != "end":
            return None
    except Unsupported:
        return None

    def fails(table: pa.Table) -> pa.Array:
        value = _boolean(node(table))
        if isinstance(value, pa.Scalar):
            value = pa.array([value.as_py()] * table.num_rows, pa.bool_())
        return pc.fill_null(pc.invert(value), False)

    return fails
