"""The language server: pygls over stdio, one :class:`~.analysis.Analysis` per document version.

An edit schedules an analysis after :data:`DEBOUNCE_S` (a burst of keys is analysed once,
for its last text); analyses run one at a time on a worker thread, so the server keeps
reading messages meanwhile. A result is published only while its version is the
document's current one, so a burst of edits never leaves stale diagnostics. A request waits
for the current version's analysis (a few tens of milliseconds for ResNet-152's text).
"""

from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import ServerTextPosition

from ..diagnostics import Diagnostic, Span
from ..frontend import ast
from . import actions, complete, present, symbols
from .analysis import Analysis, analyse

#: seconds between an edit and its analysis: keys typed closer than this are analysed once
DEBOUNCE_S = 0.04
#: the start of a file, where what has no place of its own is shown
_START = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))


@dataclass
class Document:
    """What the server holds of an open document."""

    version: int | None = None  # the version ``analysis`` is of
    analysis: Analysis | None = None
    good: Analysis | None = None  # the latest analysis whose text parsed
    task: asyncio.Task | None = None
    occurrences: list | None = None  # of ``analysis``, made on first use


class NnspecServer(LanguageServer):
    """The nnspec language server; :func:`serve` runs one over stdio."""

    def __init__(self):
        from importlib.metadata import PackageNotFoundError, version

        try:
            own = version("nnspec")
        except PackageNotFoundError:
            own = "0"
        super().__init__("nnspec", own, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.documents: dict[str, Document] = {}
        self.analyser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnspec-analysis")
        self.warm = False
        self.uris: dict[str, str] = {}  # the path each open document's analysis is made as -> its URI

    # -- documents and analyses ------------------------------------------------------
    def schedule(self, uri: str, delay: float) -> None:
        """(Re)start the analysis of a document's current text, ``delay`` seconds from now."""
        doc = self.documents.setdefault(uri, Document())
        if doc.task is not None:
            doc.task.cancel()
        version = self.workspace.get_text_document(uri).version
        doc.task = asyncio.get_running_loop().create_task(self._analyse(uri, version, delay))

    async def _analyse(self, uri: str, version: int | None, delay: float) -> None:
        await asyncio.sleep(delay)
        text = self.workspace.get_text_document(uri).source
        self.uris[path_of(uri)] = uri
        try:
            a = await asyncio.get_running_loop().run_in_executor(self.analyser, analyse, text, path_of(uri))
        except Exception as e:  # a fault of nnspec's own: said in the editor, then raised to the requests
            if self.workspace.get_text_document(uri).version == version:
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=[
                    lsp.Diagnostic(range=_START,
                                   message=f"nnspec could not analyse this text ({type(e).__name__}: {e}); "
                                           "please report it", severity=lsp.DiagnosticSeverity.Error, source="nnspec")]))
            raise
        doc = self.documents.get(uri)
        if doc is None or self.workspace.get_text_document(uri).version != version:
            return  # closed or edited meanwhile: the newer text's analysis publishes
        doc.version, doc.analysis, doc.occurrences = version, a, None
        if a.file is not None:
            doc.good = a
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=[self.diagnostic(a, d) for d in a.diagnostics]))
        if not self.warm:  # the catalogue (hover's and completion's) is made once, here rather than on a hover
            from ..core.catalogue import entries

            self.warm = True
            asyncio.get_running_loop().run_in_executor(self.analyser, entries)

    async def current(self, uri: str) -> Document | None:
        """The document with the analysis of its current text (waiting for it if need be)."""
        for _ in range(10):  # each round waits for the newest text; edits may keep coming
            doc = self.documents.get(uri)
            if doc is None:
                return None
            if doc.analysis is not None and doc.version == self.workspace.get_text_document(uri).version:
                return doc
            if doc.task is None or doc.task.done():
                self.schedule(uri, 0)
            try:
                await asyncio.shield(doc.task)
            except asyncio.CancelledError:
                continue  # replaced by a newer edit's analysis
        return self.documents.get(uri)

    async def names(self, uri: str) -> Analysis | None:
        """The latest analysis whose text parsed, for the names completion offers (text being
        typed seldom parses); the current text's when none parsed yet."""
        doc = self.documents.get(uri)
        if doc is None or doc.good is None:
            doc = await self.current(uri)
        return doc.good if doc is not None else None

    def occurrences(self, doc: Document) -> list[symbols.Occurrence]:
        if doc.occurrences is None:
            doc.occurrences = symbols.occurrences(doc.analysis.spec.program)
        return doc.occurrences

    # -- positions -------------------------------------------------------------------
    def to_range(self, a: Analysis, span: Span | None) -> lsp.Range:
        """A span (1-based, in characters) as the editor's range (0-based, in its units)."""
        if span is None:
            return _START
        lines = a.spec.sources.get(span.path, a.text).split("\n")
        codec = self.workspace.position_codec
        return lsp.Range(
            start=codec.position_to_client_units(lines, ServerTextPosition(span.line - 1, span.col - 1)),
            end=codec.position_to_client_units(lines, ServerTextPosition(span.end_line - 1, span.end_col - 1)))

    def to_location(self, a: Analysis, span: Span) -> lsp.Location:
        return lsp.Location(uri=self.uri_of(span.path), range=self.to_range(a, span))

    def uri_of(self, path: str) -> str:
        """The document a file is: an open one's own URI (an unsaved document has no file),
        else the file's."""
        return self.uris.get(path) or from_fs_path(path)

    def from_position(self, text: str, position: lsp.Position) -> tuple[int, int]:
        """The editor's position as the parser's (line, column), both from 1."""
        lines = text.split("\n")
        p = self.workspace.position_codec.position_from_client_units(
            lines, lsp.Position(line=position.line, character=position.character))
        return p.line + 1, p.character + 1

    def diagnostic(self, a: Analysis, d: Diagnostic) -> lsp.Diagnostic:
        """A diagnostic as ``check`` words it; one in an imported file sits on the import that
        brings it in, naming its place, and points there."""
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        severity = lsp.DiagnosticSeverity.Error if d.severity == "error" else lsp.DiagnosticSeverity.Warning
        span, related = d.span, None
        if span is not None and span.path != a.path:
            related = [lsp.DiagnosticRelatedInformation(location=self.to_location(a, span), message=d.message)]
            shown = os.path.relpath(span.path, os.path.dirname(a.path))
            message = f"{shown}:{span.line}:{span.col}: {message}"
            span = _import_leading_to(a, span.path)
        return lsp.Diagnostic(range=self.to_range(a, span), message=message, severity=severity, source="nnspec",
                              related_information=related, data={"hint": d.hint} if d.hint else None)


def path_of(uri: str) -> str:
    """The file a document is (its unsaved text stands for it; its imports are read beside
    it); a document that is no file (``untitled:``) is named by its URI."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return os.path.normpath(path) if path else uri


def _import_leading_to(a: Analysis, path: str) -> Span | None:
    """The main file's import that brings in ``path`` (directly or through others), else None."""
    f = a.file
    if f is None:
        return None
    base = os.path.dirname(a.path)
    for imp in f.imports:
        if os.path.normpath(os.path.join(base, imp.path)) == path:
            return imp.span
    return f.imports[0].span if f.imports else None


server = NnspecServer()


# -- the document's life ---------------------------------------------------------------
@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: NnspecServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: NnspecServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, DEBOUNCE_S)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: NnspecServer, params: lsp.DidSaveTextDocumentParams) -> None:
    """A saved file may be another's import: every open document is analysed again."""
    for uri in list(ls.documents):
        ls.schedule(uri, DEBOUNCE_S)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: NnspecServer, params: lsp.DidCloseTextDocumentParams) -> None:
    doc = ls.documents.pop(params.text_document.uri, None)
    if doc is not None and doc.task is not None:
        doc.task.cancel()
    ls.uris.pop(path_of(params.text_document.uri), None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


# -- what the editor shows ---------------------------------------------------------------
@server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
async def inlay_hint(ls: NnspecServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
    doc = await ls.current(params.text_document.uri)
    if doc is None:
        return []
    a = doc.analysis
    hints = present.inlay_hints(a)
    if a.file is None and doc.good is not None:
        hints = _partial_hints(a, doc.good)
        a = doc.good
    first, last = params.range.start.line + 1, params.range.end.line + 1
    out = []
    for line, col, text in hints:
        if first <= line <= last:
            position = ls.to_range(a, Span(a.path, line, col, line, col)).start
            out.append(lsp.InlayHint(position=position, label=text, kind=lsp.InlayHintKind.Type, padding_left=True))
    return out


def _partial_hints(a: Analysis, good: Analysis) -> list[tuple[int, int, str]]:
    """Shapes up to a syntax error: the last good text's hints on the lines before the
    first error that are as they were."""
    stop = min((d.span.line for d in a.diagnostics if d.span is not None and d.span.path == a.path), default=0)
    now, then = a.text.split("\n"), good.text.split("\n")
    return [(line, col, text) for line, col, text in present.inlay_hints(good)
            if line < stop and line <= len(now) and line <= len(then) and now[line - 1] == then[line - 1]]


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
async def hover(ls: NnspecServer, params: lsp.HoverParams) -> lsp.Hover | None:
    doc = await ls.current(params.text_document.uri)
    if doc is None:
        return None
    a = doc.analysis
    line, col = ls.from_position(a.text, params.position)
    found = present.hover(a, line, col)
    if found is None or found[0] is None:
        return None
    text, span = found
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text), range=ls.to_range(a, span))


_ITEM_KINDS = {"Function": lsp.CompletionItemKind.Function, "Class": lsp.CompletionItemKind.Class,
               "Variable": lsp.CompletionItemKind.Variable, "Field": lsp.CompletionItemKind.Field,
               "Property": lsp.CompletionItemKind.Property}


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["(", ",", "="]))
async def completion(ls: NnspecServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    line, col = ls.from_position(text, params.position)
    items = complete.completions(text, _offset(text, line, col), await ls.names(uri), line)
    return lsp.CompletionList(is_incomplete=False, items=[
        lsp.CompletionItem(
            label=i.label, kind=_ITEM_KINDS[i.kind], detail=i.detail or None,
            documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=i.documentation) if i.documentation else None,
            insert_text=i.insert, insert_text_format=lsp.InsertTextFormat.Snippet if i.insert and "$" in i.insert else None)
        for i in items])


@server.feature(lsp.TEXT_DOCUMENT_SIGNATURE_HELP, lsp.SignatureHelpOptions(trigger_characters=["(", ","]))
async def signature_help(ls: NnspecServer, params: lsp.SignatureHelpParams) -> lsp.SignatureHelp | None:
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    line, col = ls.from_position(text, params.position)
    sig = complete.signature_help(text, _offset(text, line, col), await ls.names(uri))
    if sig is None:
        return None
    return lsp.SignatureHelp(
        signatures=[lsp.SignatureInformation(label=sig.label, active_parameter=sig.active, parameters=[
            lsp.ParameterInformation(label=p) for p in sig.parameters])],
        active_signature=0, active_parameter=sig.active)


def _offset(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[:line - 1]) + col - 1


# -- names -------------------------------------------------------------------------------
async def _symbol(ls: NnspecServer, uri: str, position: lsp.Position):
    doc = await ls.current(uri)
    if doc is None:
        return None, None
    a = doc.analysis
    line, col = ls.from_position(a.text, position)
    return doc, symbols.at(ls.occurrences(doc), a.path, line, col)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
async def definition(ls: NnspecServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    doc = await ls.current(params.text_document.uri)
    if doc is None:
        return None
    a = doc.analysis
    line, col = ls.from_position(a.text, params.position)
    if a.file is not None:  # an import's path leads to the file
        for imp in a.file.imports:
            if imp.span.line <= line <= imp.span.end_line and imp.span.col <= col <= imp.span.end_col:
                target = os.path.normpath(os.path.join(os.path.dirname(a.path), imp.path))
                return [lsp.Location(uri=ls.uri_of(target), range=_START)]
    occ = symbols.at(ls.occurrences(doc), a.path, line, col)
    if occ is None:
        return None
    defs = [o for o in symbols.of(ls.occurrences(doc), occ.key) if o.definition]
    return [ls.to_location(a, o.span) for o in defs] or None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
async def references(ls: NnspecServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    doc, occ = await _symbol(ls, params.text_document.uri, params.position)
    if occ is None:
        return None
    found = symbols.of(ls.occurrences(doc), occ.key)
    return [ls.to_location(doc.analysis, o.span) for o in found if params.context.include_declaration or not o.definition]


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
async def highlight(ls: NnspecServer, params: lsp.DocumentHighlightParams) -> list[lsp.DocumentHighlight] | None:
    doc, occ = await _symbol(ls, params.text_document.uri, params.position)
    if occ is None:
        return None
    return [lsp.DocumentHighlight(range=ls.to_range(doc.analysis, o.span),
                                  kind=lsp.DocumentHighlightKind.Write if o.definition else lsp.DocumentHighlightKind.Read)
            for o in symbols.of(ls.occurrences(doc), occ.key) if o.span.path == doc.analysis.path]


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
async def prepare_rename(ls: NnspecServer, params: lsp.PrepareRenameParams) -> lsp.Range | None:
    doc, occ = await _symbol(ls, params.text_document.uri, params.position)
    return ls.to_range(doc.analysis, occ.span) if occ is not None else None


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
async def rename(ls: NnspecServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    from pygls.exceptions import JsonRpcInvalidParams

    from ..frontend.parser import KEYWORDS

    doc, occ = await _symbol(ls, params.text_document.uri, params.position)
    if occ is None:
        return None
    new = params.new_name
    if not _IDENTIFIER.fullmatch(new) or new in KEYWORDS:
        raise JsonRpcInvalidParams(f"`{new}` is not a name a spec can use" + (" (a keyword)" if new in KEYWORDS else ""))
    changes: dict[str, list[lsp.TextEdit]] = {}
    for o in symbols.of(ls.occurrences(doc), occ.key):
        changes.setdefault(ls.uri_of(o.span.path), []).append(
            lsp.TextEdit(range=ls.to_range(doc.analysis, o.span), new_text=new))
    return lsp.WorkspaceEdit(changes=changes)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
async def document_symbols(ls: NnspecServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    doc = await ls.current(params.text_document.uri)
    a = doc.good if doc is not None and doc.analysis.file is None else doc.analysis if doc else None
    if a is None or a.file is None:
        return []

    def symbol(name, kind, span, name_span, children=(), detail=None):
        return lsp.DocumentSymbol(name=name, kind=kind, range=ls.to_range(a, span),
                                  selection_range=ls.to_range(a, name_span), detail=detail, children=list(children))

    out = []
    for d in a.file.definitions:
        inner = []
        for n in present.walk(d.body):
            if isinstance(n, ast.Input):
                inner.append(symbol(n.name, lsp.SymbolKind.Field, n.span, n.name_span, detail="input"))
            elif isinstance(n, (ast.Let, ast.Output)):
                inner.append(symbol(n.name, lsp.SymbolKind.Variable, n.span, n.name_span,
                                    detail="output" if isinstance(n, ast.Output) else "let"))
            elif isinstance(n, ast.Item) and n.label is not None and n.label_span is not None:
                inner.append(symbol(n.label, lsp.SymbolKind.Property, n.span, n.label_span, detail="label"))
        kind = lsp.SymbolKind.Class if d.kind == "network" else lsp.SymbolKind.Function
        out.append(symbol(d.name, kind, d.span, d.name_span, inner, detail=present.signature(d)))
    return out


# -- edits -------------------------------------------------------------------------------
@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: NnspecServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    from ..diagnostics import Located
    from ..frontend.fmt import format_source

    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    try:
        formatted = format_source(text, path_of(uri))
    except Located:
        return None  # a file that does not parse is left as it is; its diagnostics say why
    if formatted == text:
        return []
    lines = text.split("\n")
    end = ls.workspace.position_codec.position_to_client_units(lines, ServerTextPosition(len(lines) - 1, len(lines[-1])))
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
def code_action(ls: NnspecServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    out = []
    for diag in params.context.diagnostics:
        if diag.source != "nnspec":
            continue
        hint = diag.data.get("hint") if isinstance(diag.data, dict) else None
        r = diag.range
        for fix in actions.fixes(hint, document.text_in_client_range(r)):
            at = {"replace": r, "start": lsp.Range(start=r.start, end=r.start), "end": lsp.Range(start=r.end, end=r.end)}
            out.append(lsp.CodeAction(title=fix.title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diag],
                                      is_preferred=True, edit=lsp.WorkspaceEdit(changes={
                                          uri: [lsp.TextEdit(range=at[fix.where], new_text=fix.text)]})))
    return out


def serve() -> None:
    """Run the server on stdin and stdout until the editor ends it."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # as `check`: no plugin scan
    server.start_io()
