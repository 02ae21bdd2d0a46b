"""Parse and print operator schemas written in PyTorch's schema language.

A schema names an operator and describes its signature, for example::

    aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor

``parse_schema`` turns such text into an immutable :class:`FunctionSchema`;
``str(schema)`` prints the canonical text back, and parsing that text again
gives an equal object:

>>> s = parse_schema("aten::add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1)"
...                  " -> Tensor(a!)")
>>> s.full_name, s.kind, s.written_args
('aten::add_.Tensor', 'inplace', (0,))
>>> print(s)
aten::add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)

This module is self-contained: it depends only on the standard library and
``attrs`` and imports nothing else from the project.
"""

from __future__ import annotations

import enum
import functools
import math
import re
from typing import NoReturn, Union

import attrs

__all__ = [
    "SchemaParseError",
    "parse_schema",
    "parse_type",
    "BaseType",
    "OptionalType",
    "ListType",
    "SchemaType",
    "AliasInfo",
    "Argument",
    "Return",
    "FunctionSchema",
    "DefaultIdent",
    "NO_DEFAULT",
]


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class SchemaParseError(ValueError):
    """Raised for malformed schema (or type) text.

    ``column`` is 1-based; it may be ``len(text) + 1`` when the text ended too
    early. The message has three lines: the reason, the text, and a caret.
    """

    def __init__(self, reason: str, text: str, column: int):
        self.reason = reason
        self.text = text
        self.column = column
        # Note: tabs and newlines would shift the caret, so the echoed text
        # shows every whitespace character as a single space.
        shown = "".join(" " if ch.isspace() else ch for ch in text)
        super().__init__(f"{reason} (column {column})\n{shown}\n{' ' * (column - 1)}^")

    def __reduce__(self):
        return (type(self), (self.reason, self.text, self.column))


# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------


@attrs.frozen
class BaseType:
    """A named type such as ``Tensor``, ``int`` or ``ScalarType``."""

    name: str

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class OptionalType:
    """``T?``: the element type or ``None``."""

    elem: SchemaType

    def __str__(self) -> str:
        return f"{self.elem}?"


@attrs.frozen
class ListType:
    """``T[]`` or, with a fixed ``size``, ``T[N]``."""

    elem: SchemaType
    size: int | None = None

    def __str__(self) -> str:
        return f"{self.elem}{_list_suffix(self.size)}"


SchemaType = Union[BaseType, OptionalType, ListType]

_TENSOR = BaseType("Tensor")


def _list_suffix(size: int | None) -> str:
    return "[]" if size is None else f"[{size}]"


# ---------------------------------------------------------------------------
# Alias annotations
# ---------------------------------------------------------------------------


def _name_tuple(value) -> tuple[str, ...]:
    """Accept a single set name as shorthand for a one-element tuple."""
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen
class AliasInfo:
    """An alias annotation such as ``(a)``, ``(a!)``, ``(a -> *)`` or ``(a|b)``.

    ``before`` holds the alias sets the value belongs to on entry, ``after``
    those it belongs to on exit (equal to ``before`` unless ``->`` is written),
    and ``is_write`` records the ``!`` marker. ``*`` is the wildcard set.
    """

    before: tuple[str, ...] = attrs.field(converter=_name_tuple)
    after: tuple[str, ...] = attrs.field(
        converter=_name_tuple,
        default=attrs.Factory(lambda self: self.before, takes_self=True),
    )
    is_write: bool = False

    def __attrs_post_init__(self):
        if not self.before or not self.after:
            raise ValueError("an alias annotation needs at least one alias set")

    def __str__(self) -> str:
        text = "|".join(self.before)
        if self.is_write:
            text += "!"
        if self.after != self.before:
            text += " -> " + "|".join(self.after)
        return f"({text})"


def _type_text(type_: SchemaType, alias: AliasInfo | None) -> str:
    """Print a type, placing the alias right after its base name.

    Note: torch writes ``Tensor(a)[]`` and ``Tensor(a!)?``: the annotation sits
    between the base type and its list/optional suffixes, so printing has to
    thread it through the suffix chain rather than append it.
    """
    if alias is None:
        return str(type_)
    if isinstance(type_, OptionalType):
        return _type_text(type_.elem, alias) + "?"
    if isinstance(type_, ListType):
        return _type_text(type_.elem, alias) + _list_suffix(type_.size)
    return f"{type_}{alias}"


# ---------------------------------------------------------------------------
# Default values
# ---------------------------------------------------------------------------


class _Sentinel(enum.Enum):
    NO_DEFAULT = "NO_DEFAULT"

    def __repr__(self) -> str:
        return self.value


#: Marks an argument without a default (``None`` is a real default value).
NO_DEFAULT = _Sentinel.NO_DEFAULT


@attrs.frozen
class DefaultIdent:
    """A bare identifier used as a default, e.g. ``Mean`` or ``contiguous_format``."""

    name: str

    def __str__(self) -> str:
        return self.name


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}


def _quote(value: str) -> str:
    """Canonical (double-quoted) spelling of a string default."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def _format_default(value: object) -> str:
    """Canonical text for a default value given as a Python object."""
    if value is None or isinstance(value, (bool, int, DefaultIdent)):
        return str(value)
    if isinstance(value, float):
        # repr gives the shortest round-tripping form, plus "inf"/"-inf".
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_format_default(v) for v in value) + "]"
    raise TypeError(f"unsupported default value {value!r}")


# ---------------------------------------------------------------------------
# Arguments, returns and whole schemas
# ---------------------------------------------------------------------------


def _tensor_kind(type_: SchemaType) -> str | None:
    if type_ == _TENSOR:
        return "tensor"
    if type_ == OptionalType(_TENSOR):
        return "opt_tensor"
    if isinstance(type_, ListType) and type_.elem in (_TENSOR, OptionalType(_TENSOR)):
        return "tensor_list"
    return None


@attrs.frozen
class Argument:
    """One formal argument: ``Tensor(a!) self``, ``int dim=0`` and so on.

    ``default`` is the parsed value (``NO_DEFAULT`` when absent); lists become
    tuples, bare identifiers become :class:`DefaultIdent`. ``default_text`` is
    its canonical spelling and is filled in automatically when omitted.
    """

    name: str
    type: SchemaType
    alias: AliasInfo | None = None
    # Note: equality and hashing use default_text rather than default, because
    # a nan default would otherwise never compare equal to itself.
    default: object = attrs.field(default=NO_DEFAULT, eq=False)
    default_text: str | None = None
    kwarg_only: bool = False

    def __attrs_post_init__(self):
        if self.default_text is None and self.default is not NO_DEFAULT:
            object.__setattr__(self, "default_text", _format_default(self.default))

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    @property
    def is_tensor_like(self) -> str | None:
        """``"tensor"``, ``"opt_tensor"``, ``"tensor_list"`` or ``None``."""
        return _tensor_kind(self.type)

    @property
    def is_write(self) -> bool:
        return self.alias is not None and self.alias.is_write

    def __str__(self) -> str:
        text = f"{_type_text(self.type, self.alias)} {self.name}"
        if self.has_default:
            text += f"={self.default_text}"
        return text


@attrs.frozen
class Return:
    """One result; ``name`` is set for named-tuple returns like ``Tensor values``."""

    name: str | None
    type: SchemaType
    alias: AliasInfo | None = None

    @property
    def is_write(self) -> bool:
        return self.alias is not None and self.alias.is_write

    def __str__(self) -> str:
        text = _type_text(self.type, self.alias)
        return text if self.name is None else f"{text} {self.name}"


# Note: not slotted, so that functools.cached_property can store derived facts
# in the instance __dict__ on every supported attrs version.
@attrs.frozen(slots=False)
class FunctionSchema:
    """A parsed operator schema. Immutable and hashable."""

    namespace: str | None
    name: str
    overload_name: str = ""
    arguments: tuple[Argument, ...] = attrs.field(default=(), converter=tuple)
    returns: tuple[Return, ...] = attrs.field(default=(), converter=tuple)
    is_vararg: bool = False
    is_varret: bool = False

    def __attrs_post_init__(self):
        seen_kwarg_only = False
        for arg in self.arguments:
            if seen_kwarg_only and not arg.kwarg_only:
                raise ValueError(f"positional argument {arg.name!r} follows keyword-only ones")
            seen_kwarg_only = seen_kwarg_only or arg.kwarg_only
        names = [a.name for a in self.arguments]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate argument names in {names}")

    # -- names -------------------------------------------------------------

    @property
    def qualified_name(self) -> str:
        """``ns::name`` (just ``name`` without a namespace)."""
        return f"{self.namespace}::{self.name}" if self.namespace else self.name

    @property
    def full_name(self) -> str:
        """``ns::name.overload`` (no dot when the overload name is empty)."""
        if self.overload_name:
            return f"{self.qualified_name}.{self.overload_name}"
        return self.qualified_name

    def with_namespace(self, namespace: str | None) -> FunctionSchema:
        """A copy of this schema living in another namespace."""
        return attrs.evolve(self, namespace=namespace)

    # -- derived facts -----------------------------------------------------

    @functools.cached_property
    def positional(self) -> tuple[Argument, ...]:
        """Arguments written before ``*``."""
        return tuple(a for a in self.arguments if not a.kwarg_only)

    @functools.cached_property
    def kwarg_only(self) -> tuple[Argument, ...]:
        """Arguments written after ``*``."""
        return tuple(a for a in self.arguments if a.kwarg_only)

    @functools.cached_property
    def tensor_args(self) -> tuple[tuple[int, str], ...]:
        """``(index, kind)`` for every tensor-like argument (see ``Argument.is_tensor_like``)."""
        return tuple(
            (i, a.is_tensor_like) for i, a in enumerate(self.arguments) if a.is_tensor_like
        )

    @functools.cached_property
    def written_args(self) -> tuple[int, ...]:
        """Indices of arguments annotated as written (``!``)."""
        return tuple(i for i, a in enumerate(self.arguments) if a.is_write)

    @functools.cached_property
    def _aliased_pairs(self) -> tuple[tuple[int, int], ...]:
        pairs = []
        for r, ret in enumerate(self.returns):
            if ret.alias is None:
                continue
            # Note: the wildcard set "*" means "may alias anything"; it does not
            # tie a return to a particular argument.
            wanted = set(ret.alias.before) - {"*"}
            for i, arg in enumerate(self.arguments):
                if arg.alias is not None and wanted & set(arg.alias.before):
                    pairs.append((r, i))
                    break
        return tuple(pairs)

    @property
    def aliased_returns(self) -> dict[int, int]:
        """Map return index -> index of the argument sharing its alias set."""
        return dict(self._aliased_pairs)

    @functools.cached_property
    def kind(self) -> str:
        """``"out"``, ``"inplace"``, ``"view"`` or ``"functional"``."""
        written = self.written_args
        if any(self.arguments[i].kwarg_only for i in written):
            return "out"
        if written:
            return "inplace"
        if any(not self.returns[r].is_write for r, _ in self._aliased_pairs):
            return "view"
        return "functional"

    # -- printing ----------------------------------------------------------

    def _arguments_text(self) -> str:
        parts = []
        star_written = False
        for arg in self.arguments:
            if arg.kwarg_only and not star_written:
                parts.append("*")
                star_written = True
            parts.append(str(arg))
        if self.is_vararg:
            parts.append("...")
        return ", ".join(parts)

    def _returns_text(self) -> str:
        parts = [str(r) for r in self.returns]
        if self.is_varret:
            parts.append("...")
        if len(parts) == 1 and (self.is_varret or self.returns[0].name is None):
            return parts[0]
        # Note: named or multiple returns are parenthesised so that a single
        # named return cannot be mistaken for trailing text.
        return "(" + ", ".join(parts) + ")"

    def __str__(self) -> str:
        name = self.full_name
        return f"{name}({self._arguments_text()}) -> {self._returns_text()}"


# ---------------------------------------------------------------------------
# Lexer
# ---------------------------------------------------------------------------

_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
# Longest punctuation first so "->" wins over "-" and "..." over ".".
_PUNCTUATION = ("...", "::", "->", "(", ")", "[", "]", ",", "*", "?", "!", "|", "=", ".", "-")


@attrs.frozen
class _Token:
    kind: str  # "ident", "number", "string", "op" or "eof"
    text: str  # raw source text (for strings: including the quotes)
    pos: int  # 0-based offset of the first character
    end: int  # offset just past the token
    value: object = None  # decoded contents of a string token

    def describe(self) -> str:
        return "end of input" if self.kind == "eof" else f"'{self.text}'"


class _Parser:
    """Recursive-descent parser with one token of lookahead.

    Note: tokens are produced lazily, so the reported error is always the
    first problem from the left, even when later text is unlexable.
    """

    def __init__(self, text: str):
        self.text = text
        self.tok = self._lex(0)

    # -- lexing ------------------------------------------------------------

    def _lex(self, i: int) -> _Token:
        text = self.text
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return _Token("eof", "", i, i)
        ch = text[i]
        if ch in "\"'":
            return self._lex_string(i)
        for kind, regex in (("ident", _IDENT_RE), ("number", _NUMBER_RE)):
            m = regex.match(text, i)
            if m:
                return _Token(kind, m.group(), i, m.end())
        for op in _PUNCTUATION:
            if text.startswith(op, i):
                return _Token("op", op, i, i + len(op))
        self.error(f"unexpected character {ch!r}", i)

    def _lex_string(self, start: int) -> _Token:
        text = self.text
        quote = text[start]
        chars = []
        i = start + 1
        while i < len(text):
            ch = text[i]
            if ch == quote:
                return _Token("string", text[start : i + 1], start, i + 1, "".join(chars))
            if ch == "\\":
                nxt = text[i + 1] if i + 1 < len(text) else ""
                if nxt not in _UNESCAPES:
                    self.error("unknown escape sequence in string", i)
                chars.append(_UNESCAPES[nxt])
                i += 2
                continue
            chars.append(ch)
            i += 1
        self.error("unterminated string", start)

    # -- token helpers -----------------------------------------------------

    def error(self, reason: str, pos: int | None = None) -> NoReturn:
        if pos is None:
            pos = self.tok.pos
        raise SchemaParseError(reason, self.text, pos + 1)

    def advance(self) -> _Token:
        tok = self.tok
        self.tok = self._lex(tok.end)
        return tok

    def at(self, op: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == op

    def accept(self, op: str) -> _Token | None:
        return self.advance() if self.at(op) else None

    def expect(self, op: str, context: str = "") -> _Token:
        if not self.at(op):
            suffix = f" {context}" if context else ""
            self.error(f"expected '{op}'{suffix}, found {self.tok.describe()}")
        return self.advance()

    def expect_ident(self, what: str) -> _Token:
        if self.tok.kind != "ident":
            self.error(f"expected {what}, found {self.tok.describe()}")
        return self.advance()

    def expect_end(self, what: str) -> None:
        if self.tok.kind != "eof":
            self.error(f"unexpected {self.tok.describe()} after {what}")

    # -- grammar -----------------------------------------------------------

    def schema(self) -> FunctionSchema:
        first = self.expect_ident("operator name")
        namespace = None
        name_tok = first
        if self.accept("::"):
            namespace = first.text
            name_tok = self.expect_ident("operator name after '::'")
        overload = ""
        if self.accept("."):
            overload = self.expect_ident("overload name after '.'").text
        self.expect("(", "to start the argument list")
        arguments, is_vararg = self.arguments()
        self.expect("->", "after the argument list")
        returns, is_varret = self.returns()
        self.expect_end("the returns")
        return FunctionSchema(
            namespace, name_tok.text, overload, arguments, returns, is_vararg, is_varret
        )

    def arguments(self) -> tuple[list[Argument], bool]:
        """Parse the argument list; the opening '(' is already consumed."""
        args: list[Argument] = []
        if self.accept(")"):
            return args, False
        names: set[str] = set()
        star: _Token | None = None
        is_vararg = False
        while True:
            if self.at("*"):
                if star is not None:
                    self.error("'*' may appear only once")
                star = self.advance()
            elif self.at("..."):
                self.advance()
                is_vararg = True
                if not self.at(")"):
                    self.error("'...' must be the last argument")
            else:
                arg, name_tok = self.argument(kwarg_only=star is not None)
                if arg.name in names:
                    self.error(f"duplicate argument name {arg.name!r}", name_tok.pos)
                names.add(arg.name)
                args.append(arg)
            if self.accept(","):
                continue
            if self.accept(")"):
                break
            self.error(f"expected ',' or ')' in the argument list, found {self.tok.describe()}")
        if star is not None and not any(a.kwarg_only for a in args):
            self.error("'*' must be followed by a keyword-only argument", star.pos)
        return args, is_vararg

    def argument(self, kwarg_only: bool) -> tuple[Argument, _Token]:
        type_, alias = self.type(allow_alias=True)
        name_tok = self.expect_ident("argument name")
        default: object = NO_DEFAULT
        default_text = None
        if self.accept("="):
            default, default_text = self.default()
        arg = Argument(name_tok.text, type_, alias, default, default_text, kwarg_only)
        return arg, name_tok

    def returns(self) -> tuple[list[Return], bool]:
        if self.accept("..."):
            return [], True
        if not self.accept("("):
            ret, _ = self.one_return()
            return [ret], False
        rets: list[Return] = []
        if self.accept(")"):
            return rets, False
        names: set[str] = set()
        is_varret = False
        while True:
            if self.at("..."):
                self.advance()
                is_varret = True
                if not self.at(")"):
                    self.error("'...' must be the last return")
            else:
                ret, name_tok = self.one_return()
                if ret.name is not None:
                    if ret.name in names:
                        self.error(f"duplicate return name {ret.name!r}", name_tok.pos)
                    names.add(ret.name)
                rets.append(ret)
            if self.accept(","):
                continue
            if self.accept(")"):
                return rets, is_varret
            self.error(f"expected ',' or ')' in the returns, found {self.tok.describe()}")

    def one_return(self) -> tuple[Return, _Token | None]:
        type_, alias = self.type(allow_alias=True)
        name_tok = self.advance() if self.tok.kind == "ident" else None
        return Return(name_tok.text if name_tok else None, type_, alias), name_tok

    def type(self, allow_alias: bool) -> tuple[SchemaType, AliasInfo | None]:
        base = self.expect_ident("a type")
        type_: SchemaType = BaseType(base.text)
        alias = self.alias() if allow_alias and self.at("(") else None
        while True:
            if self.accept("?"):
                type_ = OptionalType(type_)
            elif self.accept("["):
                size = None
                if self.tok.kind == "number":
                    if not self.tok.text.isdigit():
                        self.error("a list size must be a non-negative integer")
                    size = int(self.advance().text)
                self.expect("]", "to close the list type")
                type_ = ListType(type_, size)
            else:
                break
        if allow_alias and self.at("("):
            # Note: torch also accepts container annotations such as
            # "t[](a!)"; native operator schemas never use them, so we reject
            # them rather than model a second alias position.
            self.error("an alias annotation must directly follow the base type name")
        return type_, alias

    def alias(self) -> AliasInfo:
        self.expect("(")
        before = self.alias_sets()
        is_write = self.accept("!") is not None
        after = self.alias_sets() if self.accept("->") else before
        if not self.accept(")"):
            self.error(f"expected ')' to close the alias annotation, found {self.tok.describe()}")
        return AliasInfo(before, after, is_write)

    def alias_sets(self) -> tuple[str, ...]:
        sets = [self.alias_set()]
        while self.accept("|"):
            sets.append(self.alias_set())
        return tuple(sets)

    def alias_set(self) -> str:
        if self.accept("*"):
            return "*"
        return self.expect_ident("an alias set name").text

    def default(self) -> tuple[object, str]:
        """Parse a default value; return ``(value, canonical_text)``."""
        tok = self.tok
        if self.accept("-"):
            nxt = self.tok
            if nxt.kind == "number":
                self.advance()
                return -_number(nxt.text), "-" + nxt.text
            if nxt.kind == "ident" and nxt.text == "inf":
                self.advance()
                return -math.inf, "-inf"
            self.error(f"expected a number after '-', found {nxt.describe()}")
        if tok.kind == "number":
            self.advance()
            return _number(tok.text), tok.text
        if tok.kind == "string":
            self.advance()
            return tok.value, _quote(tok.value)
        if tok.kind == "ident":
            self.advance()
            if tok.text in _KEYWORD_DEFAULTS:
                return _KEYWORD_DEFAULTS[tok.text], tok.text
            return DefaultIdent(tok.text), tok.text
        if self.accept("["):
            items: list[tuple[object, str]] = []
            if not self.accept("]"):
                while True:
                    items.append(self.default())
                    if self.accept(","):
                        continue
                    if self.accept("]"):
                        break
                    self.error(f"expected ',' or ']' in the list, found {self.tok.describe()}")
            value = tuple(v for v, _ in items)
            return value, "[" + ", ".join(t for _, t in items) + "]"
        self.error(f"expected a default value, found {tok.describe()}")


_KEYWORD_DEFAULTS = {
    "True": True,
    "False": False,
    "None": None,
    "inf": math.inf,
    "nan": math.nan,
}


def _number(text: str) -> int | float:
    return int(text) if text.isdigit() else float(text)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _parse_schema_cached(text: str) -> FunctionSchema:
    return _Parser(text).schema()


def parse_schema(text: str) -> FunctionSchema:
    """Parse a full operator schema; raise :class:`SchemaParseError` if malformed."""
    if not isinstance(text, str):
        raise TypeError(f"schema text must be a str, not {type(text).__name__}")
    # Note: results are immutable, so memoising repeated parses is safe.
    return _parse_schema_cached(text)


def parse_type(text: str) -> SchemaType:
    """Parse a lone type such as ``"int[2]?"`` (no alias annotation, no name)."""
    parser = _Parser(text)
    type_, _ = parser.type(allow_alias=False)
    parser.expect_end("the type")
    return type_
