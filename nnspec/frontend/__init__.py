"""The front end: the grammar, the parser, the AST, imports and the formatter."""
