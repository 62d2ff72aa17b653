"""``nnspec lsp``: a language server for ``.nn`` files, spoken over stdio.

It answers from the same front end and core as ``nnspec check``: diagnostics as ``check``
gives them (on the editor's unsaved text), each chain line's output shape as an inlay hint,
hover, completion and signature help from the layer catalogue, definitions, references and
renames from the AST's spans, formatting from ``fmt``, and quick fixes from the hints. It
never imports torch.

Modules: ``analysis`` (one version of a document, loaded, checked and elaborated, and what
is at a position), ``symbols`` (every name's definition and uses), ``present`` (hover text and
inlay hints), ``complete`` (completion and signature help), ``actions`` (quick fixes) and
``server`` (the pygls server: documents, debouncing, the requests).
"""
