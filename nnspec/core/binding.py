"""Argument binding: a call's arguments matched to the names of what it calls.

A layer kind and a block bind their calls the same way (LANGUAGE.md §5): positional
arguments first, in declared order, then keywords; a positional argument after a keyword,
more positional arguments than names, an unknown keyword or a name given twice is an error,
and each has one message here. What the values must be is the callee's business (a layer's
schema, a block's body).

>>> conv = Signature("`conv`", ("out", "kernel", "stride"))
>>> conv.bind([(None, 64), (None, 3), ("stride", 2)])
({'out': 64, 'kernel': 3, 'stride': 2}, [])
>>> _, problems = conv.bind([(None, 64), ("strde", 2)])
>>> print(problems[0], "|", problems[0].hint)
`conv` has no argument `strde`; its arguments are out, kernel, stride | did you mean `stride`?
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import did_you_mean

#: the value of an argument whose expression failed (and was reported): it still takes its
#: place among the positional arguments, so that the others bind to the right names
FAILED = object()


class ArgError(Exception):
    """Arguments do not fit; ``arg`` is the position in the call of the argument at fault,
    or the name it binds to, or None for the whole call; ``keyword`` says that the fault is
    the argument's keyword (a misspelt name) rather than its value. ``others`` are the
    problems of the same call found beside it, reported with it."""

    def __init__(self, message: str, arg: str | int | None = None, hint: str | None = None,
                 keyword: bool = False):
        super().__init__(message)
        self.message, self.arg, self.hint, self.keyword = message, arg, hint, keyword
        self.others: list[ArgError] = []


@dataclass(frozen=True)
class Signature:
    """What a call binds to: ``callee`` as messages name it (```conv``` or ``block `B```), its
    argument names in positional order, and what it calls them (a block has parameters)."""

    callee: str
    names: tuple[str, ...]
    noun: str = "argument"

    def bind(self, args: list[tuple[str | None, object]]) -> tuple[dict, list[ArgError]]:
        """The values by name of ``(keyword or None, value)`` pairs in call order, and the
        problems found. A positional argument out of place or beyond the names ends the
        binding (what follows would bind to the wrong names); an unknown or repeated keyword
        does not, so that every one is reported. :data:`FAILED` values are left out."""
        values: dict = {}
        bound: set[str] = set()  # failed values too: they were given
        problems: list[ArgError] = []
        keyword_seen = False
        for i, (name, value) in enumerate(args):
            if name is None:
                if keyword_seen:
                    problems.append(ArgError("a positional argument cannot follow a keyword argument", arg=i))
                    break
                if i >= len(self.names):
                    problems.append(self.too_many(sum(n is None for n, _ in args), arg=i))
                    break
                name = self.names[i]
            else:
                keyword_seen = True
                if name not in self.names:
                    problems.append(self.unknown(name, arg=i))
                    continue
                if name in bound:
                    problems.append(ArgError(f"argument `{name}` given twice", arg=i))
                    continue
            bound.add(name)
            if value is not FAILED:
                values[name] = value
        return values, problems

    def too_many(self, given: int, arg: int | None = None) -> ArgError:
        n = len(self.names)
        most = f"at most {n} argument{'s' if n != 1 else ''}" if n else "no arguments"
        return ArgError(f"{self.callee} takes {most}, got {given}", arg=arg)

    def unknown(self, name: str, arg: int | None = None) -> ArgError:
        listed = f"; its {self.noun}s are {', '.join(self.names)}" if self.names else ""
        return ArgError(f"{self.callee} has no {self.noun} `{name}`{listed}", arg=arg,
                        hint=did_you_mean(name, self.names), keyword=True)

    def missing(self, name: str, hint: str | None = None) -> ArgError:
        return ArgError(f"{self.callee} needs the argument `{name}`", arg=None, hint=hint)
