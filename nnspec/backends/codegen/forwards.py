"""One ``forward`` for instances of a block whose forwards differ by what an ``if`` chose.

The lines of the instances' forwards are lined up by what they compute (value numbering: a
line is the same in two instances when it computes the same expression of the same values),
so ``x1 = self[0](x)`` of an instance with a residual connection and ``x = self[0](x)`` of one
without are one line. The lines some instances only have are written under ``if self.flag:``,
the last assigning to the variable that holds, in the other instances, what it replaces:

    x1 = self[0](x)
    if self.residual:
        x1 = x1 + x
    return x1

Lines some instances have, followed by lines exactly the others have, are an ``if``/``else``
(ShuffleNet's unit at stride 1 and 2), and the lines both branches end with alike are written
once after it. The result is checked by running it, in values, for every instance: each line must read the
values its instance's own line reads, and the forward must return what the instance's does;
else there is no shared forward, and the instances keep classes of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ...core.code import STRUCTURE, Attr, Call, Code, Name, Not, Ref, holes, parts_of, rewrite
from .body import ABSENT, Assign, If, Return


@dataclass(frozen=True)
class Value(Code):
    """A value of the lined-up forwards in place of a variable: ``("arg", i)`` or a line's id."""

    key: object = field(default=None, metadata=STRUCTURE)


def _renamed(value, rename):
    """A value with its variables (:class:`Name`) replaced by ``rename(name)`` where that is
    not None."""
    return rewrite(value, lambda v: (rename(v.text) or v) if isinstance(v, Name) else None)


def _values(value) -> list:
    """The :class:`Value` keys an expression reads, in order."""
    return [v.key for v in parts_of(value, Value)]


def as_list(modules: tuple) -> tuple | None:
    """The forward of an ``nn.Sequential`` body written out as an ``nn.ModuleList``'s
    (``x = self[0](x)``, ...); None where a module is a run written once."""
    lines = []
    for i, m in enumerate(modules):
        if m.key != str(i) or m.returns is None:
            return None
        lines.append(Assign("x", Call(Ref(((str(i), "[]"),)), (Name("x"),)), m.returns))
    return (*lines, Return(("x",)))


@dataclass
class Line:
    """A line of the lined-up forwards: what it computes, and each instance's own line."""

    id: int
    canon: object
    own: dict = field(default_factory=dict)  # instance -> (its Assign, its expression over Values)


def line_up(forwards: list[tuple], args: tuple) -> tuple[list[Line], list[tuple]] | None:
    """The lines of several forwards in one order, and the values each returns; None when a
    forward holds other than assignments and a return."""
    order: list[Line] = []
    returns = []
    count = 0
    for k, forward in enumerate(forwards):
        if not forward or not isinstance(forward[-1], Return) or \
                any(not isinstance(s, Assign) or s.note is not None for s in forward[:-1]):
            return None
        env = {a: ("arg", i) for i, a in enumerate(args)}
        at = 0
        for s in forward[:-1]:
            expr = _renamed(s.expr, lambda n, env=env: Value(env[n]) if n in env else None)
            canon = holes(expr)
            j = next((j for j in range(at, len(order)) if order[j].canon == canon and k not in order[j].own), None)
            if j is None:
                order.insert(at, Line(count, canon))
                count, j = count + 1, at
            order[j].own[k] = (s, expr)
            env[s.target] = order[j].id
            at = j + 1
        returns.append(tuple(env.get(n) for n in forward[-1].names))
    return order, returns


def written(order: list[Line], returns: list[tuple], args: tuple, flag_of) -> tuple[list[tuple], tuple, list] | None:
    """The shared forward of the lined-up instances: for each instance, its forward (its own
    lines, and those it lacks as others have them, their values marked absent by ``absent``),
    the class's forward (each line as the first instance having it has it), and the flags
    (name, one bool per instance) its ``if``\\ s test. ``flag_of(lines, has)`` names the flag
    of a run of lines that the instances in ``has`` only have, or None when no condition tells
    them apart. None when the forward does not compute what each instance's does."""
    n = len(returns)
    runs: list[tuple[frozenset, list[Line]]] = []
    for line in order:
        has = frozenset(line.own)
        if runs and runs[-1][0] == has and len(has) < n:
            runs[-1][1].append(line)
        else:
            runs.append((has, [line]))
    fullest = max(range(n), key=lambda k: (sum(k in line.own for line in order), -k))
    names: dict = {("arg", i): a for i, a in enumerate(args)}
    for line in order:
        owner = fullest if fullest in line.own else min(line.own)
        names[line.id] = line.own[owner][0].target
    # a run some instances have, followed by one that exactly the others have: if/else
    segments: list[tuple] = []  # (has, then, orelse): has is None for the lines of all
    k = 0
    while k < len(runs):
        has, lines = runs[k]
        if len(has) == n:
            segments.append((None, lines, []))
        elif k + 1 < len(runs) and not (runs[k + 1][0] & has) and len(runs[k + 1][0] | has) == n:
            segments.append((has, lines, runs[k + 1][1]))
            k += 1
        else:
            segments.append((has, lines, []))
        k += 1
    flags: list[tuple[str, list]] = []
    seg_flags = []
    for has, lines, orelse in segments:
        if has is None:
            seg_flags.append(None)
            continue
        values = [k in has for k in range(n)]
        flag = flag_of(lines, values)
        if flag is None or dict(flags).get(flag, values) != values:
            return None
        if flag not in dict(flags):
            flags.append((flag, values))
        seg_flags.append(flag)
        # the last line takes the variable of what it replaces in the other instances
        last = lines[-1].id
        inside = next((k for k in range(n) if k in has and last in returns[k]), None)
        outside = next((k for k in range(n) if k not in has), None)
        if orelse:
            other = orelse[-1].id
            if inside is not None and other in returns[outside] and \
                    returns[inside].index(last) == returns[outside].index(other):
                names[other] = names[last]
        elif inside is not None and outside is not None:
            names[last] = names[returns[outside][returns[inside].index(last)]]
        else:
            reads = _values(lines[0].own[min(lines[0].own)][1])
            if reads:
                names[last] = names[reads[0]]

    def block(lines, k, state, runs: bool):
        """The lines as instance ``k`` has them where it runs them (None where a variable
        holds another value than its own line reads), as the class writes them elsewhere
        (their values absent in an instance; ``k`` None: the class's own)."""
        out = []
        for line in lines:
            if k is not None and runs:
                s, expr = line.own[k]
                if any(state.get(names[key]) != key for key in _values(expr)):
                    return None  # a variable holds another value here
                state[names[line.id]] = line.id
                out.append(Assign(names[line.id], _named(expr, names), s.value))
            else:
                s, expr = line.own[min(line.own)]
                out.append(Assign(names[line.id], _named(expr, names), s.value if k is None else ABSENT))
        return out

    forwards = []
    for k in [*range(n), None]:
        state: dict[str, object] = {a: ("arg", i) for i, a in enumerate(args)}
        stmts: list = []
        for (has, lines, orelse), flag in zip(segments, seg_flags):
            taken = has is None or (k is not None and k in has)
            then = block(lines, k, state, taken)
            other = block(orelse, k, state, not taken)
            if then is None or other is None:
                return None
            stmts += then if flag is None else [If(Attr(Name("self"), flag), tuple(then), tuple(other))]
        if k is not None and any(state.get(names[key]) != key for key in returns[k]):
            return None
        forwards.append([*_hoisted(stmts), Return(tuple(names[key] for key in returns[k if k is not None else 0]))])
    if len({tuple(f[-1].names) for f in forwards}) != 1:
        return None
    return [tuple(f) for f in forwards[:-1]], tuple(forwards[-1]), flags


def _hoisted(stmts: list) -> list:
    """Lines that end both branches of an ``if``/``else`` alike, written once after it."""
    out = []
    for s in stmts:
        tail = []
        while isinstance(s, If) and s.then and s.orelse and holes(_shown(s.then[-1])) == holes(_shown(s.orelse[-1])):
            taken = s.then[-1] if s.then[-1].value != ABSENT else s.orelse[-1]
            tail.insert(0, taken)
            s = replace(s, then=s.then[:-1], orelse=s.orelse[:-1])
        if isinstance(s, If) and not s.then:  # all the first branch's lines came out
            s = If(Not(s.cond), s.orelse) if s.orelse else None
        out += [*([s] if s is not None else []), *tail]
    return out


def _shown(line: Assign) -> tuple:
    return line.target, line.expr


def _named(expr, names: dict):
    """An expression over :class:`Value` with each value's variable in its place."""
    return rewrite(expr, lambda v: Name(names[v.key]) if isinstance(v, Value) else None)
