"""A Pygments lexer for ``.nn`` files, registered as ``nnspec`` (entry point
``pygments.lexers``), so that Sphinx, MkDocs, Jupyter and other Pygments users highlight
specs: `````nnspec`` fences, ``pygmentize -l nnspec``.

The keywords are the parser's and the layer kinds the registry's, so a new kind is
highlighted without a change here.

>>> from pygments import lex
>>> [(str(t), v) for t, v in lex("conv(64, 3)", NnspecLexer()) if v.strip()][:3]
[('Token.Name.Builtin', 'conv'), ('Token.Punctuation', '('), ('Token.Literal.Number.Integer', '64')]
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from ..frontend.parser import KEYWORDS

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
#: keywords with a class of their own; the rest are plain keywords
_CONSTANTS = ("true", "false")
_TYPES = ("int", "float")
_DECLARATIONS = ("network", "block")


def _kinds() -> list[str]:
    from ..core.layers import user_kinds

    return sorted(user_kinds())


class NnspecLexer(RegexLexer):
    """Highlights nnspec's ``.nn`` specs: networks, blocks, layer kinds, labels, keyword
    arguments, numbers, strings and comments."""

    name = "nnspec"
    aliases = ("nnspec", "nn")
    filenames = ("*.nn",)
    mimetypes = ("text/x-nnspec",)

    tokens: ClassVar[dict] = {
        "root": [
            (r"[ \t\f\r\n]+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"', String.Double, "string"),
            (rf"\b(network|block)(\s+)({_IDENT})", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (rf"\b(let|output|input)(\s+)({_IDENT})", bygroups(Keyword, Whitespace, Name.Variable)),
            (r"\bimport\b", Keyword.Namespace),
            (r"\btrain(?=\s*\{)", Keyword),  # words that are keywords only where they stand
            (r"\bon(?=\s*\[)", Keyword),
            (words(_CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(_TYPES, suffix=r"\b"), Keyword.Type),
            (words(sorted(KEYWORDS - set(_CONSTANTS) - set(_TYPES) - set(_DECLARATIONS)), prefix=r"\b", suffix=r"\b"),
             Keyword),
            (rf"({_IDENT})(\s*)(:)(?!:)", bygroups(Name.Label, Whitespace, Punctuation)),
            (rf"({_IDENT})(\s*)(=)(?!=)", bygroups(Name.Attribute, Whitespace, Operator)),
            (words(_kinds(), prefix=r"\b", suffix=r"\b"), Name.Builtin),
            (r"(\d+\.\d*|\.\d+)([eE][-+]?\d+)?|\d+[eE][-+]?\d+", Number.Float),
            (r"\d+", Number.Integer),
            (_IDENT, Name),
            (r"->|//|==|!=|<=|>=|[-+*/%<>=|]", Operator),
            (r"[()\[\]{},:]", Punctuation),
        ],
        "string": [
            (r'\\["\\]', String.Escape),
            (r'[^"\\\n]+', String.Double),
            (r'"', String.Double, "#pop"),
            (r"\\", String.Double),
            (r"\n", Whitespace, "#pop"),  # unterminated: the parser says so; the next line is code
        ],
    }

