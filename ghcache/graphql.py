"""Which kinds of operation a GraphQL document defines, read with a lexer that follows the spec.

Only the top level matters: a definition starts with `query`, `mutation`, `subscription`,
`fragment` or `{` (a query in shorthand). Comments, strings and block strings are skipped as the
spec lexes them, so a `mutation` inside a string, a comment, a field name or an argument never
counts, and one hidden behind a comment line or after another operation always does. Anything the
lexer cannot read (an unterminated string, a character outside the grammar, a type-system
definition) gives None: the caller cannot be sure what the server would run.

One linear pass, standard library only, no regular expressions; imported only for `gh api graphql`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~15 ms to import; annotations are never evaluated here
if TYPE_CHECKING:
    from collections.abc import Iterator

_NAME_START = frozenset("_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_NUMBER_CHARS = frozenset("0123456789+-.eE")
_IGNORED = frozenset(" \t\n\r,\ufeff")
_PUNCTUATORS = frozenset("!$&()[]:=@|")
_OPERATIONS = ("query", "mutation", "subscription")


class LexError(ValueError):
    """The text is not lexically valid GraphQL."""


def _skip_string(text: str, at: int) -> int:
    """Index just past the string starting at `at` (a `"` or a `\"\"\"` block string)."""
    if text.startswith('"""', at):
        at += 3
        while True:
            end = text.find('"""', at)
            if end < 0:
                raise LexError("unterminated block string")
            if text[end - 1] == "\\":  # \""" is an escaped triple quote inside a block string
                at = end + 3
                continue
            return end + 3
    at += 1
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
        elif char == '"':
            return at + 1
        elif char in "\n\r":
            raise LexError("line break in a string")
        else:
            at += 1
    raise LexError("unterminated string")


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """("name", word) or ("punct", char) for every significant token; strings and numbers as ("value", "")."""
    at, size = 0, len(text)
    while at < size:
        char = text[at]
        if char in _IGNORED:
            at += 1
        elif char == "#":
            while at < size and text[at] not in "\n\r":
                at += 1
        elif char in _NAME_START:
            start = at
            while at < size and text[at] in _NAME_CHARS:
                at += 1
            yield "name", text[start:at]
        elif char == '"':
            at = _skip_string(text, at)
            yield "value", ""
        elif char in "{}":
            at += 1
            yield "punct", char
        elif char in _PUNCTUATORS:
            at += 1
            yield "punct", char
        elif text.startswith("...", at):
            at += 3
            yield "punct", "..."
        elif char == "-" or char.isdigit():
            at += 1
            while at < size and text[at] in _NUMBER_CHARS:
                at += 1
            yield "value", ""
        else:
            raise LexError(f"unexpected character {char!r}")


def operation_kinds(document: str) -> set[str] | None:
    """The operation types a document defines ({"query"}, {"query", "mutation"}, ...); None when it
    cannot be read with certainty (lexical error, unbalanced brackets, a type-system definition, no
    operation at all)."""
    kinds: set[str] = set()
    braces = parens = brackets = 0
    in_header = False  # between a definition's keyword and its selection set
    try:
        for kind, value in _tokens(document):
            if braces or parens or brackets:
                if value in "{}()[]" and kind == "punct":
                    braces += (value == "{") - (value == "}")
                    parens += (value == "(") - (value == ")")
                    brackets += (value == "[") - (value == "]")
                    if min(braces, parens, brackets) < 0:
                        return None
                    if not (braces or parens or brackets) and value == "}":
                        in_header = False  # a definition ended
                continue
            if kind == "punct" and value == "{":
                if not in_header:
                    kinds.add("query")  # `{ ... }`: the query shorthand
                braces = 1
            elif kind == "punct" and value in "([":
                if not in_header:
                    return None
                parens, brackets = value == "(", value == "["
            elif in_header:
                continue  # operation or fragment name, `on Type`, directives, `$var: Type` pieces
            elif kind == "name" and value in _OPERATIONS:
                kinds.add(value)
                in_header = True
            elif kind == "name" and value == "fragment":
                in_header = True
            else:
                return None  # a type-system definition, or something that is not GraphQL
    except LexError:
        return None
    if braces or parens or brackets or in_header or not kinds:
        return None
    return kinds
