"""Text to AST: the Lark parser (built once per process) and its errors in the user's terms."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import os
import re

from ..diagnostics import Located, LocatedErrors, Span, did_you_mean
from . import ast

KEYWORDS = frozenset([
    "network", "block", "input", "output", "let", "repeat", "residual", "shortcut", "auto", "each", "expect",
    "import", "true", "false", "int", "float", "if", "else", "and", "or", "not",
])

# What each terminal means to a person, for "expected ..." messages.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "_NL": "end of line",
    "_ARROW": "`->`",
    "$END": "end of file",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "COMMA": "`,`",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "VBAR": "`|`",
    "MINUS": "`-`",
    "PLUS": "`+`",
    "STAR": "`*`",
    "SLASH": "`/`",
    "SLASH2": "`//`",
    "PERCENT": "`%`",
    "INT": "`int`",
    "FLOAT": "`float`",
    "AUTO": "`auto`",
    "TRUE": "`true`",
    "FALSE": "`false`",
    "COMPARE": "a comparison",
    "AND": "`and`",
    "OR": "`or`",
    "NOT": "`not`",
}


#: brackets and bodies nest at most this deep: every later phase walks nesting by recursion
MAX_NESTING = 1000
#: operations one expression may chain (``1 + 1 + ...`` nests to the left, as a tree)
MAX_OPERATIONS = 500
#: lines of code one file may have (blank and comment lines aside): twice the layers one network
#: may have (100,000). Counted before parsing, so that a file of half a million one-word lines
#: is refused at once rather than after parsing it (tens of seconds, gigabytes)
MAX_LINES = 200_000


class _TooDeep(Exception):
    def __init__(self, token):
        super().__init__()
        self.token = token


class _DropNewlinesInBrackets:
    """Post-lexer: inside ( ) and [ ] a newline is just white space; brackets and bodies
    nested deeper than :data:`MAX_NESTING` stop the parse (at the bracket that goes too deep)."""

    always_accept = ("_NL",)

    def __init__(self):
        self.text = ""  # the text being parsed, set before each parse: line breaks look ahead in it
        self._peeked = (-1, -1, False)  # the last look ahead: from, to, whether `->` came

    def process(self, stream):
        depth = 0  # ( and [
        nesting = 0  # ( [ and {
        last = None  # the type of the token passed on last
        for tok in stream:
            kind = tok.type
            if kind == "_NL" and (depth or last in ("_NL", "_ARROW") or self._arrow_follows(tok.end_pos)):
                continue  # inside brackets, one of a run (comment lines between), or around `->`
            if kind in ("LPAR", "LSQB", "LBRACE"):
                nesting += 1
                if nesting > MAX_NESTING:
                    raise _TooDeep(tok)
                depth += kind != "LBRACE"
            elif kind in ("RPAR", "RSQB", "RBRACE"):
                nesting = max(0, nesting - 1)
                if kind != "RBRACE":
                    depth = max(0, depth - 1)
            last = kind
            yield tok

    def _arrow_follows(self, pos: int) -> bool:
        """Whether `->` comes next after ``pos``, past blank and comment lines: then the line
        break only continues a chain. Each stretch of the text is looked at once."""
        start, end, found = self._peeked
        if start <= pos <= end:
            return found
        text, at = self.text, pos
        while True:
            at = _BLANKS.match(text, at).end()
            if not text.startswith("#", at):
                break
            at = text.find("\n", at)
            if at < 0:
                at = len(text)
                break
        self._peeked = (pos, at, text.startswith("->", at))
        return self._peeked[2]


_BLANKS = re.compile(r"[\t \f\r\n]*")
#: the start of a line of code: its first character that is neither white space nor a comment's
_CODE_LINE = re.compile(r"^[\t \f\r]*[^\s#]", re.MULTILINE)


_GRAMMAR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grammar", "nnspec.lark")
#: the grammar's LALR tables, made by :func:`write_tables` (data, never a pickle): loading
#: them costs a tenth of building the parser from the grammar
TABLES = _GRAMMAR[: -len(".lark")] + ".tables.json"
_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True, "maybe_placeholders": True}


def _grammar_digest() -> str:
    with open(_GRAMMAR, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@functools.lru_cache(maxsize=1)
def _lark():
    """The parser: from the shipped tables when they were made from this grammar by this
    version of Lark, else built from the grammar (slower, never cached on disk)."""
    from lark import Lark, __version__

    try:
        with open(TABLES, encoding="utf-8") as fh:
            tables = json.load(fh, object_pairs_hook=_int_keys)
        if tables["lark"] == __version__ and tables["grammar"] == _grammar_digest():
            return Lark._load_from_dict(tables["data"], tables["memo"], postlex=_DropNewlinesInBrackets())
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return _build()


def _build():
    from lark import Lark

    with open(_GRAMMAR, encoding="utf-8") as fh:
        return Lark(fh.read(), postlex=_DropNewlinesInBrackets(), **_OPTIONS)


def tables_text() -> str:
    """The JSON text of the parser tables built from the grammar now (see :data:`TABLES`)."""
    from lark import __version__
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = _build().memo_serialize([TerminalDef, Rule])
    # options that are objects (the post-lexer, the grammar's loader) are given when loading
    data["options"] = {k: v for k, v in data["options"].items() if k in _OPTIONS or
                       (isinstance(v, (bool, int, str, type(None))) and k != "source_path")}
    tables = {"grammar": _grammar_digest(), "lark": __version__, "data": data, "memo": memo}
    return json.dumps(tables, sort_keys=True, separators=(",", ":")) + "\n"


def write_tables() -> None:
    """Write :data:`TABLES` again, after a change to the grammar or to Lark's version."""
    from ..files import atomic_write

    text = tables_text()
    atomic_write(TABLES, lambda fh: fh.write(text.encode("utf-8")))


def _int_keys(pairs):
    """JSON keys are text; the tables' numbered states and tokens are ints."""
    if pairs and all(k.isdigit() for k, _ in pairs):
        return {int(k): v for k, v in pairs}
    return dict(pairs)


class _Part:
    """What a rule reduced to while parsing: its value (an AST node, or for a ``_rule`` that
    Lark inlines into its parent, the list of its children), where the text it covers starts
    and ends (named as on Lark's tokens; None for no text: an empty body), and how many
    operations its expression chains."""

    __slots__ = ("column", "depth", "end_column", "end_line", "line", "value")

    def __init__(self, value, line, column, end_line, end_column, depth):
        self.value, self.line, self.column, self.end_line, self.end_column = value, line, column, end_line, end_column
        self.depth = depth


def _first(s):
    return s[0]


def _alone(s):
    c = s[0]
    return _Part([c], c.line, c.column, c.end_line, c.end_column, 0)


class _ToAst:
    """Builds :mod:`nnspec.frontend.ast` nodes while Lark parses (methods named after grammar
    rules, each given the rule's span and its children as Lark would shape them).

    No Lark tree is built: the parser calls :meth:`callbacks`' functions at each reduction,
    bottom-up and without recursion, so a tree as deep as :data:`MAX_NESTING` allows never
    meets Python's recursion limit. A rule's span is what Lark's ``propagate_positions``
    gives it: from the first to the last token it covers, keywords and brackets included
    (a parenthesised expression keeps its own span, and widens its parent's).
    """

    def __init__(self, path: str):
        self.path = path
        #: the first error found while building (a number too large, an expression too long):
        #: raised once the parse succeeds, so that a syntax error anywhere comes first, as it
        #: did when the AST was built after parsing
        self.problem: Located | None = None

    def sp(self, tok) -> Span:
        return Span.make(self.path, tok.line, tok.column, tok.end_line, tok.end_column)

    def callbacks(self, rules) -> dict:
        """A function for each of the parse table's ``rules``: from the values the rule
        reduces (tokens and :class:`_Part`), the rule's :class:`_Part`."""
        return {rule: self._callback(rule) for rule in rules}

    def _callback(self, rule):
        name = rule.alias or rule.origin.name
        expansion = rule.expansion
        # which of the reduced values Lark keeps as children: not anonymous tokens; a `_rule`'s
        # own children in its place; None for each `[optional]` part that is absent
        empty = [int(e) for e in rule.options.empty_indices] if rule.options.empty_indices else []
        nones = [len(ones) for ones in "".join(map(str, empty)).split("0")] if empty else [0] * (len(expansion) + 1)
        include, before = [], 0
        for i, sym in enumerate(expansion):
            before += nones[i]
            if not (sym.is_term and sym.filter_out):
                include.append((i, not sym.is_term and sym.name.startswith("_"), before))
                before = 0
        trailing = before + nones[len(expansion)]
        expand = rule.options.expand1 and not rule.alias  # a `?rule` with one child is that child
        if expand and len(expansion) == 1 and include == [(0, False, 0)] and not trailing:
            return _first  # a link of a precedence chain: the value passes unchanged, span and all
        inline = name.startswith("_")
        if inline and len(expansion) == 1 and include == [(0, False, 0)] and not trailing:
            return _alone  # `_stmt`, `_atom`: one child that goes into the parent's
        method = None if inline else getattr(self, name, None)  # a `?rule` may never keep its node
        # how many operations an expression chains: only expressions nest in one another
        operation = name in ("binop", "neg")
        tracked = operation or expand or name == "not_"
        plain = [i for i, _, _ in include] if not trailing and not any(x or n for _, x, n in include) else None
        path = self.path

        def build(s):
            first = last = None
            for c in s:
                if c.line is not None:
                    first = c
                    break
            for c in reversed(s):
                if c.end_line is not None:
                    last = c
                    break
            if plain is not None:
                kids = [s[i] for i in plain]
            else:
                kids = None
                for i, splice, before in include:
                    if kids is None:
                        # a `_rule` first is most often the same rule, left-recursive (a body's
                        # statements): its list is taken over, not copied, or a body would cost
                        # the square of its length
                        kids = s[i].value if splice and not before else []
                        if splice and not before:
                            continue
                    if before:
                        kids += [None] * before
                    if splice:
                        kids += s[i].value
                    else:
                        kids.append(s[i])
                kids = [] if kids is None else kids
                if trailing:
                    kids += [None] * trailing
            start = (first.line, first.column) if first is not None else (None, None)
            end = (last.end_line, last.end_column) if last is not None else (None, None)
            if inline:  # its children go into its parent's, still wrapped
                return _Part(kids, *start, *end, 0)
            depth = max([c.depth for c in kids if type(c) is _Part], default=0) if tracked else 0
            if expand and len(kids) == 1:
                only = kids[0]
                # a token stays itself; a node spans the text of this rule (brackets included)
                return _Part(only.value, *start, *end, depth) if type(only) is _Part else only
            span = Span.make(path, *start, *end) if first is not None else None
            if operation:
                depth += 1
                if depth > MAX_OPERATIONS and self.problem is None:
                    self.problem = Located(f"this expression is too long: it chains more than {MAX_OPERATIONS} operations",
                                           span, "name a part of it: a parameter of the network or of a block")
            return _Part(method(span, [c.value if type(c) is _Part else c for c in kids]), *start, *end, depth)

        return build

    # expressions
    def number(self, span, c):
        text = str(c[0])
        try:
            value = int(text) if text.isdigit() else float(text)
        except ValueError:  # more digits than Python converts
            value = math.inf
        if (value == math.inf or (isinstance(value, int) and value.bit_length() > 63)) and self.problem is None:
            self.problem = Located(f"the number {text[:20]}{'...' if len(text) > 20 else ''} is too large", span)
        return ast.Num(value, span)

    def ref(self, span, c):
        return ast.Ref(str(c[0]), span)

    def binop(self, span, c):
        return ast.BinOp(str(c[1]), c[0], c[2], span)

    def neg(self, span, c):
        return ast.Neg(c[1], span)

    def not_(self, span, c):
        return ast.Not(c[1], span)

    def string(self, span, c):
        return ast.Str(_unquote(c[0]), span)

    def true(self, span, c):
        return ast.Bool(True, span)

    def false(self, span, c):
        return ast.Bool(False, span)

    def list_(self, span, c):
        return ast.ListV([v for v in c if v is not None], span)

    def dim_list(self, span, c):
        return [v for v in c if v is not None]

    # items
    def arg(self, span, c):
        name, value = c
        return ast.Arg(str(name) if name else None, value, span, self.sp(name) if name else None)

    def arg_list(self, span, c):
        return [a for a in c if a is not None]

    def branch(self, span, c):
        return c[0]

    def branches(self, span, c):
        return c

    def call(self, span, c):
        name, args, branches = c
        return ast.Call(str(name), args, branches, span, self.sp(name))

    def repeat(self, span, c):
        return ast.Repeat(c[0], c[1], span)

    def shortcut(self, span, c):
        return "auto" if str(c[0]) == "auto" else c[0]

    def residual(self, span, c):
        return ast.Residual(c[0], c[1], span)

    def residual_first(self, span, c):
        return ast.Residual(c[1], c[0], span, shortcut_first=True)

    def if_(self, span, c):
        return ast.If(c[0], c[1], c[2], span)

    def else_(self, span, c):
        return c[0]

    def each(self, span, c):
        return ast.Each(c[0], span)

    def expect(self, span, c):
        return ast.Expect(c[0], span)

    def item(self, span, c):
        label, atom = c
        return ast.Item(str(label) if label else None, atom, span, self.sp(label) if label else None)

    def chain(self, span, c):
        return ast.Chain(c, span)

    # statements
    def input_decl(self, span, c):
        name, dims, dtype, pad = c
        return ast.Input(str(name), dims, str(dtype) if dtype else "float", pad, span, self.sp(name))

    def let_(self, span, c):
        return ast.Let(str(c[0]), c[1], span, self.sp(c[0]))

    def output_(self, span, c):
        return ast.Output(str(c[0]), c[1], span, self.sp(c[0]))

    def setting(self, span, c):
        return ast.Setting(str(c[0]), c[1], span)

    def train_section(self, span, c):
        return ast.TrainSection(c, span)

    def body(self, span, c):
        return ast.Body([s for s in c if s is not None], span)

    # definitions
    def param(self, span, c):
        return ast.Param(str(c[0]), c[1], span)

    def param_list(self, span, c):
        return [p for p in c if p is not None]

    def _definition(self, kind, span, c, on=None):
        name, params, body = c
        return ast.Definition(kind, str(name), params or [], body, span, self.sp(name), on)

    def network(self, span, c):
        return self._definition("network", span, c)

    def block(self, span, c):
        name, params, on, body = c
        return self._definition("block", span, [name, params, body], on)

    def on_(self, span, c):
        return c[0]

    def import_(self, span, c):
        return ast.Import(_unquote(c[0]), span)

    def start(self, span, c):
        return [d for d in c if d is not None]


def _unquote(token) -> str:
    """The text of a string literal: quotes removed, ``\\"`` and ``\\\\`` (any ``\\c``) read as ``c``."""
    return re.sub(r"\\(.)", r"\1", str(token)[1:-1])


def _describe_token(tok) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "_NL":
        return "end of line"
    if tok.type == "_ARROW":
        return "`->`"
    return f"`{tok.value}`"


_TOO_DEEP_HINT = f"brackets and bodies nest at most {MAX_NESTING:,} levels deep; use a block or `repeat`"

_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "SLASH2", "PERCENT", "COMPARE", "AND", "OR"}


def _expected_words(expected) -> str:
    expected = [e for e in expected if not e.startswith("__")]
    if any(e not in _OPERATORS for e in expected):  # after a complete operand, operators are noise
        expected = [e for e in expected if e not in _OPERATORS]
    words = sorted({_TERMINAL_WORDS.get(e, f"`{e.lower()}`") for e in expected})
    if len(words) > 6:
        words = words[:6] + ["..."]
    return ", ".join(words)


def _syntax_error(e, path: str, text: str) -> Located:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        span = Span(path, e.line, e.column, e.line, e.column + 1)
        hint = None
        if ch == "=" and text[e.pos_in_stream : e.pos_in_stream + 2] == "=>":
            hint = "chains use `->`"
        return Located(f"unexpected character {ch!r}", span, hint)
    if isinstance(e, UnexpectedToken):
        tok = e.token
        expected = e.expected if hasattr(e, "expected") else set()
        stray = _ELSE_ON_OWN_LINE.search(text, 0, tok.start_pos + 1) if tok.type != "$END" else None
        if stray is not None:  # a line break ended the `if`; the `else` then starts a statement
            at = stray.start("else")
            line, col = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
            return Located("`else` must follow the `}` of its `if` on the same line", Span(path, line, col, line, col + 4),
                           "write `} else {`")
        unclosed = _unclosed_at(tok, text)
        if unclosed is not None:
            ch, line, col = unclosed
            where = "the file ends" if tok.type == "$END" else f"{_describe_token(tok)} comes at {tok.line}:{tok.column}"
            closer = {"(": ")", "[": "]", "{": "}"}[ch]
            return Located(f"`{ch}` is never closed", Span(path, line, col, line, col + 1),
                           f"{where} before its `{closer}`")
        if tok.type == "$END":
            span = _end_span(path, text)
        else:
            line, col = tok.line, tok.column
            if tok.type in ("_NL", "_ARROW"):
                # point at the line break itself, not at the next line
                stripped = tok.value.lstrip(" \t\f")
                col += len(tok.value) - len(stripped)
            span = Span(path, line, col, line, col + max(1, len(str(tok.value).split("\n")[0])))
        inner = _unclosed(text, tok.start_pos) if tok.type != "$END" else None
        if inner is not None and inner[0] in "([":
            # inside brackets only the matching closer and what continues a list can come
            other = {"(": "RSQB", "[": "RPAR"}[inner[0]]
            expected = {e for e in expected if e not in (other, "RBRACE", "LBRACE", "VBAR", "_NL", "_ARROW")} or expected
        got = _describe_token(tok)
        hint = _syntax_hint(tok, expected, text)
        return Located(f"unexpected {got}; expected {_expected_words(expected)}", span, hint)
    if isinstance(e, UnexpectedEOF):
        return Located(f"unexpected end of file; expected {_expected_words(e.expected)}", _end_span(path, text))
    return Located(f"syntax error: {e}", Span(path, 1, 1, 1, 2))


def _end_span(path: str, text: str) -> Span:
    """Just after the last character that is not white space."""
    body = text.rstrip()
    line = body.count("\n") + 1
    col = len(body) - (body.rfind("\n") + 1) + 1
    return Span(path, line, col, line, col + 1)


def _unclosed_at(tok, text: str) -> tuple[str, int, int] | None:
    """The bracket left open when ``tok`` is unexpected because of it: at the end of the file,
    or at the start of a new line inside ( ) or [ ], where line breaks are only white space."""
    if tok.type == "$END":
        return _unclosed(text, len(text))
    opened = _unclosed(text, tok.start_pos)
    if opened is not None and opened[0] in "([" and tok.line > opened[1] and _first_on_line(text, tok):
        return opened
    return None


_ELSE_ON_OWN_LINE = re.compile(r"\}[\t \f]*(#[^\n]*)?\n\s*(?P<else>else)\b")


def _syntax_hint(tok, expected, text: str) -> str | None:
    if tok.type == "EQUAL" and text[tok.start_pos : tok.start_pos + 2] == "=>":
        return "chains use `->`"
    if tok.type == "EQUAL" and re.search(r"(^|\W)if\b[^{}\n]*$", text[: tok.start_pos]):
        return "`==` compares; `=` names an argument"
    if tok.type != "$END" and re.search(r"(^|\s)train\s*$", text[: tok.start_pos]) and "LBRACE" in expected:
        return "at the start of a statement `train` opens the training section; it cannot name a layer or value"
    if tok.type != "$END" and re.search(r"\btrain\s*\{[^{}]*$", text[: tok.start_pos]):
        start, end = text.rfind("\n", 0, tok.start_pos) + 1, text.find("\n", tok.start_pos)
        setting = re.match(r"\s*(\w+)\s*=\s*([^\"#]*?)\s*(#.*)?$", text[start : end if end >= 0 else len(text)])
        if setting and setting.group(2):
            return f'a setting\'s value that is not one word is a string: `{setting.group(1)} = "{setting.group(2)}"`'
    if tok.type == "NAME":
        if tok.value in KEYWORDS:
            return f"`{tok.value}` is a keyword and cannot be used as a name"
        close = did_you_mean(tok.value, [e.lower() for e in expected if e.lower() in KEYWORDS])
        if close:
            return close
    if "RPAR" in expected and "COMMA" in expected and tok.type in ("NAME", "NUMBER", "STRING"):
        return "missing `,` between arguments?"
    if "_ARROW" in expected and tok.type == "NAME":
        return "missing `->` between items?"
    if tok.type == "_NL" and "RBRACE" in expected and "VBAR" in expected:
        return "each branch starts with `|`"
    return None


def _first_on_line(text: str, tok) -> bool:
    start = text.rfind("\n", 0, tok.start_pos) + 1
    return not text[start : tok.start_pos].strip()


def _brackets(text: str, upto: int):
    """Each bracket before ``upto`` as (character, line, column); strings and comments skipped."""
    line, line_start, i = 1, 0, 0
    while i < upto:
        ch = text[i]
        if ch == "\n":
            line, line_start = line + 1, i + 1
        elif ch == '"':
            i += 1
            while i < upto and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
        elif ch == "#":
            while i + 1 < upto and text[i + 1] != "\n":
                i += 1
        elif ch in "()[]{}":
            yield ch, line, i - line_start + 1
        i += 1


def _unclosed(text: str, upto: int) -> tuple[str, int, int] | None:
    """The innermost bracket opened before ``upto`` and not closed there, with its line and
    column."""
    stack: list[tuple[str, int, int]] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for ch, line, col in _brackets(text, upto):
        if ch in "([{":
            stack.append((ch, line, col))
        elif stack and stack[-1][0] == pairs[ch]:
            stack.pop()
    return stack[-1] if stack else None


# A top-level definition starts a line with one of these words; after a syntax error the file
# is parsed again one definition at a time, so that each broken definition reports its own
# first error and a sound one reports none.
_DEFINITION_START = re.compile(r"^(?=(?:network|block|import)\b)", re.MULTILINE)


def _parse_tree(text: str, path: str) -> tuple[list, Located | None]:
    """The AST of ``text`` and the first error found in it that is not one of syntax (raised
    as :class:`Located`)."""
    from lark.exceptions import LarkError

    try:
        return run(_lark(), text, path)
    except LarkError as e:
        raise _syntax_error(e, path, text) from None
    except _TooDeep as e:
        tok = e.token
        raise Located("nesting is too deep", Span(path, tok.line, tok.column, tok.line, tok.column + 1),
                      _TOO_DEEP_HINT) from None


def run(lark, text: str, path: str = "<string>") -> tuple[list, Located | None]:
    """The AST of ``text`` parsed by ``lark`` (built while parsing, see :class:`_ToAst`) and
    the first error that is not one of syntax; Lark's errors are raised."""
    lark.options.postlex.text = text  # its post-lexer looks ahead in the text
    lark.options.postlex._peeked = (-1, -1, False)
    builder = _ToAst(path)
    table_parser = lark.parser.parser.parser
    callbacks = builder.callbacks(_reductions(table_parser.parse_table))
    parsed = _drive(lark, text, callbacks)
    if parsed is None:  # a syntax error: Lark's own parse raises it, described as Lark does
        lark.options.postlex.text = text
        lark.options.postlex._peeked = (-1, -1, False)
        builder.problem = None
        table_parser.callbacks = callbacks
        parsed = lark.parse(text)
    return parsed.value, builder.problem


class _Stop(Exception):
    """The fast loop met what only Lark's parse describes well (a syntax error)."""


def _drive(lark, text: str, callbacks):
    """What ``lark.parse(text)`` returns with ``callbacks`` at its reductions, or None where it
    would raise. The same LALR tables, contextual lexers and post-lexer as Lark's parse, driven
    by one loop of local variables: Lark's loop spends several method calls and a line counter
    object on each token, which made parsing most of the time of checking a large spec."""
    from lark import Token
    from lark.parsers.lalr_analysis import Shift

    table = lark.parser.parser.parser.parse_table
    states, end_state = table.states, table.end_states["start"]
    lexers = _state_lexers(lark.parser.lexer.lexer)
    stack, values = [table.start_states["start"]], []
    where = [0, 1, 0]  # position, line, where the line starts

    def tokens():
        pos, line, line_start = where
        n = len(text)
        while pos < n:
            mres, callback, ignore, newline = lexers[stack[-1]]
            for mre in mres:
                m = mre.match(text, pos)
                if m:
                    break
            else:
                raise _Stop
            value, kind = m.group(0), m.lastgroup
            start, start_line, column = pos, line, pos - line_start + 1
            if kind in newline:
                count = value.count("\n")
                if count:
                    line += count
                    line_start = pos + value.rindex("\n") + 1
            pos += len(value)
            where[:] = pos, line, line_start
            ignored = kind in ignore
            if ignored and kind not in callback:
                continue
            tok = Token(kind, value, start, start_line, column, line, pos - line_start + 1, pos)
            if kind in callback:
                tok = callback[kind](tok)
            if not ignored:
                yield tok

    tok = None
    chains = _chains(table)
    try:
        for tok in lark.options.postlex.process(tokens()):
            kind = tok.type
            while True:
                action, arg = states[stack[-1]][kind]
                if action is Shift:
                    stack.append(arg)
                    values.append(tok)
                    break
                if callbacks[arg] is _first:
                    # a run of one-child rules that pass their value on (a number is an atom, a
                    # unary, a product, ... an expression: nine rules) changes only the state on
                    # top of the stack; where the run ends is looked up once per context
                    key = (stack[-2], stack[-1], kind)
                    top = chains.get(key)
                    if top is None:
                        top = chains[key] = _unit_run(states, callbacks, key)
                    stack[-1] = top
                    continue
                size = len(arg.expansion)
                if size:
                    s = values[-size:]
                    del stack[-size:]
                    del values[-size:]
                else:
                    s = []
                values.append(callbacks[arg](s))
                stack.append(states[stack[-1]][arg.origin.name][1])
        while True:  # the end: reduce until the start rule is complete
            action, arg = states[stack[-1]]["$END"]
            if action is Shift:
                return None
            size = len(arg.expansion)
            if size:
                s = values[-size:]
                del stack[-size:]
                del values[-size:]
            else:
                s = []
            values.append(callbacks[arg](s))
            stack.append(states[stack[-1]][arg.origin.name][1])
            if stack[-1] == end_state:
                return values[-1]
    except (_Stop, _TooDeep, KeyError):
        return None


@functools.lru_cache(maxsize=4)
def _chains(table) -> dict:
    """Where runs of one-child reductions end, by (state below, state on top, next token) (see
    :func:`_drive`); kept with the parse table, filled as parses meet them."""
    return {}


def _unit_run(states, callbacks, key) -> int:
    """The state on top of the stack after the one-child reductions that ``key``'s next token
    makes one after another (the state below them stays)."""
    from lark.parsers.lalr_analysis import Shift

    below, top, kind = key
    while True:
        action, arg = states[top][kind]
        if action is Shift or callbacks[arg] is not _first:
            return top
        top = states[below][arg.origin.name][1]


@functools.lru_cache(maxsize=4)
def _state_lexers(contextual) -> dict:
    """For each parser state, what its lexer matches with: its regular expressions, the
    callbacks that tell keywords from names, the ignored and the multi-line terminals."""
    out = {}
    for state, lexer in contextual.lexers.items():
        scanner = lexer.scanner  # built on first use; its callbacks with it
        out[state] = (scanner._mres, lexer.callback, lexer.ignore_types, lexer.newline_types)
    return out


@functools.lru_cache(maxsize=4)
def _reductions(table) -> tuple:
    """The rules a parse table reduces, as the very objects its states hold: the callbacks are
    looked up by them at each reduction, and an object of its own is found without comparing."""
    from lark.parsers.lalr_analysis import Reduce

    return tuple({id(arg): arg for actions in table.states.values() for action, arg in actions.values()
                  if action is Reduce}.values())


def _all_syntax_errors(text: str, path: str) -> list[Located]:
    """Every syntax error worth reporting, without cascades.

    The text is parsed again one top-level definition at a time, so each broken definition
    reports its first error. Within a definition, the line of an error is then blanked out
    and the definition parsed again, while that is safe: the line opens or closes no body
    and its brackets balance, each new error lies further down, and it is not one that only
    the blanking caused (the parser expecting what it expected before, or a new definition).
    """
    starts = [m.start() for m in _DEFINITION_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    errors = []
    for a, b in zip(starts, starts[1:] + [len(text)]):
        # keep line numbers: the chunk is preceded by the newlines before it
        lines = ("\n" * text.count("\n", 0, a) + text[a:b]).split("\n")
        last: Located | None = None
        for _ in range(20):
            try:
                _parse_tree("\n".join(lines), path)
                break
            except Located as e:
                line = e.span.line if e.span else 0
                if last is not None and (line <= last.span.line or _expected_part(e) == _expected_part(last)
                                         or "`network`" in _expected_part(e)):
                    break
                errors.append(e)
                last = e
                if line > len(lines) or not _blankable(lines[line - 1]):
                    break
                lines[line - 1] = ""
    return errors


def _expected_part(e: Located) -> str:
    return e.message.partition("; expected ")[2]


def _blankable(line: str) -> bool:
    """Whether blanking a line leaves the rest of a definition as it was: it opens and closes
    no body, and its other brackets balance (strings and comments aside)."""
    code = re.sub(r'"([^"\\\n]|\\.)*"', "", line).split("#", 1)[0]
    if "{" in code or "}" in code:
        return False
    pairs, depth = {")": "(", "]": "["}, []
    for ch in code:
        if ch in "([":
            depth.append(ch)
        elif ch in pairs and (not depth or depth.pop() != pairs[ch]):
            return False
    return not depth


def parse(text: str, path: str = "<string>") -> list:
    """Parse one file's text into a list of :class:`ast.Definition` and :class:`ast.Import`.

    Raises :class:`~nnspec.diagnostics.Located` on a syntax error
    (:class:`~nnspec.diagnostics.LocatedErrors` when several definitions have one).

    >>> [d.name for d in parse("block B { relu }\\nnetwork N { input x: [2]\\n B }")]
    ['B', 'N']
    """
    if text.startswith("\ufeff"):  # a byte-order mark some editors write: white space, columns kept
        text = " " + text[1:]
    if "\x00" in text:
        at = text.index("\x00")
        line, col = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        raise Located("the file contains a NUL byte; is it a text file?", Span(path, line, col, line, col + 1))
    past = next(itertools.islice(_CODE_LINE.finditer(text), MAX_LINES, None), None)
    if past is not None:
        at = past.end() - 1
        line, col = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        raise Located(f"a spec has at most {MAX_LINES:,} lines of code (blank and comment lines aside); "
                      "this is one more", Span(path, line, col, line, col + 1),
                      "use `repeat` or a block for layers that repeat")
    try:
        nodes, problem = _parse_tree(text, path)
    except Located as first:
        errors = _all_syntax_errors(text, path)
        if len(errors) <= 1:
            raise first from None
        raise LocatedErrors(errors) from None
    if problem is not None:
        raise problem
    return nodes


def parse_file(text: str, path: str, remember: bool = True) -> tuple[ast.File, bool]:
    """Parse a file read from ``path``; a file parsed before comes from :mod:`nnspec.frontend.astcache`.
    Returns the file and whether it was parsed (not read from the cache); with ``remember``
    a parsed file is stored in the cache."""
    from . import astcache

    on_disk = not path.startswith("<")  # `<string>`: text from the API, seldom seen twice
    cached = astcache.load(text, path) if on_disk else None
    if cached is not None:
        return cached, False
    nodes = parse(text, path)
    f = ast.File(path, text)
    for n in nodes:
        (f.imports if isinstance(n, ast.Import) else f.definitions).append(n)
    if on_disk and remember:
        astcache.store(f)
    return f, True
