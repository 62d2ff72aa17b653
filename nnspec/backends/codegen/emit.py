"""Text in generated source: comments and docstrings. Spec text reaches the source only
through :func:`comment` (every character that is not printable ASCII escaped) or as a literal
written by :mod:`nnspec.core.code`."""

from __future__ import annotations

import textwrap

WIDTH = 92  # leaves room for the 8 columns of a method body within 100


def comment(text: str) -> str:
    """Text made safe on one comment line: every character that is not printable ASCII
    escaped, so that no line break Python (or an editor) knows (``\\r``, ``\\x0b``, ``\\x0c``,
    ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028``, ``\\u2029``) ends the comment early. Every
    comment and docstring of the generated source goes through here.

    >>> comment("[q\\rimport os, 4]")
    '[q\\\\rimport os, 4]'
    """
    return text.encode("unicode_escape").decode("ascii")


def doc(text: str) -> str:
    """Text made safe inside a triple-quoted docstring."""
    return comment(text).replace('"', '\\"')


def docstring(one_line: str, summary: str, details: str, indent: str = "    ", width: int = 100) -> str:
    """A docstring: ``one_line`` when it fits in ``width``, else ``summary`` over wrapped ``details``."""
    if len(indent) + len(one_line) + 6 <= width:
        return f'{indent}"""{doc(one_line)}"""'
    wrap = textwrap.TextWrapper(width, initial_indent=indent, subsequent_indent=indent,
                                break_long_words=False, break_on_hyphens=False)
    head = wrap.fill(f'"""{doc(summary)}')
    return f'{head}\n\n{wrap.fill(doc(details))}\n{indent}"""'
