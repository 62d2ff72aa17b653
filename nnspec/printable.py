"""Text from user data as the terminal shows it: control characters escaped, long text and long
lists cut.

Names that come from data (class folders, CSV labels, a checkpoint's classes, option values)
are whatever bytes their author chose: an escape sequence in one could retitle the terminal,
write the clipboard or hide a line, and ten million of them would make a 30 MB message. Every
such name reaches the terminal through :func:`printable` or :func:`listed`.
"""

from __future__ import annotations


def printable(text: str, limit: int = 80) -> str:
    """``text`` with every character Python does not count as printable (controls, format
    characters such as bidirectional overrides, line and paragraph separators) written as
    its escape, cut to about ``limit`` characters.

    >>> printable("cat\\x1b]0;owned\\x07")
    'cat\\\\x1b]0;owned\\\\x07'
    >>> printable("a\\nb")
    'a\\\\nb'
    """
    text = str(text)
    if len(text) > limit:
        text = text[: max(limit - 1, 1)] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def listed(names, limit: int = 10, quote: str = "") -> str:
    """The first ``limit`` of ``names``, each :func:`printable` (and within ``quote``s), and how
    many more: ``a, b, c … and 9,999,990 more``.

    >>> listed(["a", "b", "c"], 2)
    'a, b … and 1 more'
    """
    names = list(names) if not isinstance(names, (list, tuple)) else names
    shown = ", ".join(f"{quote}{printable(n)}{quote}" for n in names[:limit])
    return shown + (f" … and {len(names) - limit:,} more" if len(names) > limit else "")
