"""Symbolic dimensions: integers, symbols and integer expressions over them.

A dimension is either a plain ``int`` or a :class:`Sym` — a polynomial with integer
coefficients over symbols (``T``) and opaque floor-division atoms (``(L - 3) // 2``).
Arithmetic folds back to ``int`` as soon as no symbol remains, so concrete shapes stay
plain tuples of ints.

>>> L = Sym.symbol("L")
>>> str((L - 3) // 2 + 1)
'(L - 3) // 2 + 1'
>>> (L * 2) // 2 == L
True
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Union

#: while the code generator walks a block's definition, its parameters and its input's sizes
#: are symbols that stand for sizes known when the module is built: they pass as concrete
#: (:func:`~nnspec.core.layers.base.need_concrete`), a size may be divided by one (a block's
#: ``stride``), and checks that need numbers are left to the elaborated instances
SIZES_ARE_PARAMETERS = ContextVar("sizes_are_parameters", default=False)

Dim = Union[int, "Sym"]


class _FloorDiv:
    """An opaque atom ``num // den`` (or ``-(-num // den)`` for ceil) that could not be simplified."""

    __slots__ = ("_key", "ceil", "den", "num")

    def __init__(self, num: Sym, den: int | Sym, ceil: bool = False):
        # a symbolic divisor (a block's `stride`) only in the code generator's walk of a definition
        self.num, self.den, self.ceil = num, den, ceil
        self._key = ("ceildiv" if ceil else "floordiv", num._key(), den._key() if isinstance(den, Sym) else den)

    def __eq__(self, other):
        return isinstance(other, _FloorDiv) and self._key == other._key

    def __hash__(self):
        return hash(self._key)

    def __lt__(self, other):
        return _atom_key(self) < _atom_key(other)

    def __str__(self):
        inner = self.num._str()
        if not self.num.is_atom():
            inner = f"({inner})"
        den = self.den if isinstance(self.den, int) or self.den.is_atom() else f"({self.den})"
        return f"ceil({inner} / {den})" if self.ceil else f"{inner} // {den}"

    def value(self, env: dict[str, int]) -> int:
        num, den = self.num.value(env), evaluate(self.den, env)
        return -(-num // den) if self.ceil else num // den


def _atom_key(atom) -> tuple:
    return (0, atom) if isinstance(atom, str) else (1, repr(atom._key))


class Sym:
    """An integer polynomial over symbols; construct with :meth:`symbol` and arithmetic."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[tuple, int]):
        # terms: monomial (sorted tuple of atoms; () is the constant) -> coefficient
        self.terms = {m: c for m, c in terms.items() if c != 0}

    @staticmethod
    def symbol(name: str) -> Sym:
        return Sym({(name,): 1})

    # -- construction helpers -------------------------------------------------
    @staticmethod
    def _lift(x: Dim) -> Sym:
        return x if isinstance(x, Sym) else Sym({(): x} if x else {})

    def _fold(self) -> Dim:
        if not self.terms:
            return 0
        if list(self.terms) == [()]:
            return self.terms[()]
        return self

    def _key(self) -> tuple:
        return tuple(sorted(((tuple(_atom_key(a) for a in m), c) for m, c in self.terms.items())))

    def symbols(self) -> set[str]:
        out: set[str] = set()
        for mono in self.terms:
            for atom in mono:
                out |= {atom} if isinstance(atom, str) else atom.num.symbols() | (
                    atom.den.symbols() if isinstance(atom.den, Sym) else set())
        return out

    def is_atom(self) -> bool:
        return len(self.terms) == 1 and next(iter(self.terms.values())) == 1 and len(next(iter(self.terms))) == 1

    # -- arithmetic -----------------------------------------------------------
    def __add__(self, other: Dim) -> Dim:
        terms = dict(self.terms)
        for m, c in Sym._lift(other).terms.items():
            terms[m] = terms.get(m, 0) + c
        return Sym(terms)._fold()

    __radd__ = __add__

    def __neg__(self) -> Sym:
        return Sym({m: -c for m, c in self.terms.items()})

    def __sub__(self, other: Dim) -> Dim:
        return self + (-Sym._lift(other))

    def __rsub__(self, other: Dim) -> Dim:
        return Sym._lift(other) + (-self)

    def __mul__(self, other: Dim) -> Dim:
        other = Sym._lift(other)
        terms: dict[tuple, int] = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                m = tuple(sorted(m1 + m2, key=_atom_key))
                terms[m] = terms.get(m, 0) + c1 * c2
        return Sym(terms)._fold()

    __rmul__ = __mul__

    def _div(self, den: int | Sym, ceil: bool) -> Dim:
        if isinstance(den, Sym):
            if not SIZES_ARE_PARAMETERS.get():
                raise TypeError("symbolic dimensions divide only by a positive integer")
            return Sym({(_FloorDiv(self, den, ceil),): 1})
        if not isinstance(den, int) or isinstance(den, bool) or den <= 0:
            raise TypeError("symbolic dimensions divide only by a positive integer")
        if den == 1:
            return self
        const = self.terms.get((), 0)
        if all(c % den == 0 for m, c in self.terms.items() if m):
            # every symbolic term divides exactly, so only the constant is rounded
            whole = Sym({m: c // den for m, c in self.terms.items() if m})
            return whole + (-(-const // den) if ceil else const // den)
        if self.is_atom():
            (atom,) = next(iter(self.terms))
            if isinstance(atom, _FloorDiv) and atom.ceil == ceil:
                # floor(floor(x / a) / b) == floor(x / (a*b)) for integer x, and likewise for ceil
                return atom.num._div(atom.den * den, ceil)
        return Sym({(_FloorDiv(self, den, ceil),): 1})

    def __floordiv__(self, den: int) -> Dim:
        return self._div(den, ceil=False)

    def __rfloordiv__(self, num: int) -> Dim:
        return Sym._lift(num)._div(self, ceil=False)

    def ceildiv(self, den: int) -> Dim:
        return self._div(den, ceil=True)

    def exact_div(self, den: int) -> Dim | None:
        """``self / den`` when it divides exactly for every value of the symbols, else None."""
        if isinstance(den, int) and den > 0 and all(c % den == 0 for c in self.terms.values()):
            return Sym({m: c // den for m, c in self.terms.items()})._fold()
        return None

    def value(self, env: dict[str, int]) -> int:
        """The size for given values of the symbols (``KeyError`` names a missing one)."""
        total = 0
        for mono, c in self.terms.items():
            for atom in mono:
                c *= env[atom] if isinstance(atom, str) else atom.value(env)
            total += c
        return total

    # -- comparison and printing ---------------------------------------------
    def __eq__(self, other):
        if isinstance(other, int):
            return False
        return isinstance(other, Sym) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def _str(self) -> str:
        def mono_str(m, c):
            alone = len(m) == 1 and abs(c) == 1
            body = "*".join(str(a) if alone or isinstance(a, str) or a.ceil else f"({a})" for a in m)
            if not m:
                return str(abs(c))
            return body if abs(c) == 1 else f"{abs(c)}*{body}"

        ordered = sorted(self.terms.items(), key=lambda mc: (len(mc[0]) == 0, [_atom_key(a) for a in mc[0]]))
        out = ""
        for i, (m, c) in enumerate(ordered):
            s = mono_str(m, c)
            if i == 0:
                out = s if c > 0 else f"-{s}"
            else:
                out += f" + {s}" if c > 0 else f" - {s}"
        return out

    def __str__(self):
        return self._str()

    def __repr__(self):
        return f"Sym({self._str()!r})"


def is_concrete(d: Dim) -> bool:
    return isinstance(d, int)


def dim_str(d: Dim) -> str:
    return str(d)


def shape_str(shape) -> str:
    """``[64, 56, 56]`` or ``[T, 128]``."""
    return "[" + ", ".join(str(d) for d in shape) + "]"


def floordiv(a: Dim, b: int) -> Dim:
    return a // b


def ceildiv(a: Dim, b: int) -> Dim:
    return -(-a // b) if isinstance(a, int) else a.ceildiv(b)


def evaluate(d: Dim, env: dict[str, int]) -> int:
    """The concrete size of ``d`` when each symbol takes its value from ``env``.

    >>> evaluate((Sym.symbol("L") - 3) // 2 + 1, {"L": 10})
    4
    """
    return d if isinstance(d, int) else d.value(env)


def least(d: Dim) -> int:
    """The size of ``d`` with every symbol at 1, the least a size can be, and at least 1: what
    a bound on sizes holds a symbolic dimension to (``2**70 * T`` is too large for any ``T``).

    >>> least(Sym.symbol("T") * 8 + 2), least((Sym.symbol("L") - 3) // 2), least(5)
    (10, 1, 5)
    """
    return at_size(d, 1)


def at_size(d: Dim, size: int) -> int:
    """The size of ``d`` with every symbol at ``size``, and at least 1.

    >>> at_size(Sym.symbol("T") * 8 + 2, 64), at_size((Sym.symbol("L") - 3) // 2, 64), at_size(5, 64)
    (514, 30, 5)
    """
    if isinstance(d, int):
        return d
    return max(d.value(dict.fromkeys(d.symbols(), size)), 1)


def equal(a: Dim, b: Dim) -> bool:
    """Whether two dimensions are equal for every size of their symbols.

    Normal forms can differ where values never do: ``(L - 1) // 2 + 1`` (a stride-2 convolution)
    and ``ceil((L - 2) / 2) + 1`` (a ceil-mode pooling) are both ``ceil(L / 2)``.

    >>> L = Sym.symbol("L")
    >>> equal((L - 1) // 2 + 1, (L - 2).ceildiv(2) + 1), equal(L // 2, (L - 1) // 2 + 1)
    (True, False)
    """
    return a == b or ((isinstance(a, Sym) or isinstance(b, Sym)) and differ_at(a, b) is None)


def differ_at(a: Dim, b: Dim) -> dict[str, int] | None:
    """Sizes of the symbols for which ``a`` and ``b`` differ, or None when they never do.

    Sizes 1 to 64 and a few larger ones are tried, which covers every remainder of each floor
    division by up to 64. The first sizes where both values are positive are preferred (a
    size of 0 fails in PyTorch anyway); an expression that cannot be evaluated differs.

    >>> L = Sym.symbol("L")
    >>> differ_at(L // 2, (L - 1) // 2 + 1)
    {'L': 3}
    """
    import itertools

    names = sorted((a.symbols() if isinstance(a, Sym) else set()) | (b.symbols() if isinstance(b, Sym) else set()))
    sizes = list(range(1, 65)) + [97, 1000, 4099] if len(names) == 1 else list(range(1, 13)) + [97, 1000]
    first = None
    for values in itertools.product(sizes, repeat=len(names)):
        env = dict(zip(names, values))
        try:
            x, y = evaluate(a, env), evaluate(b, env)
        except (ArithmeticError, ValueError, TypeError):
            return env
        if x != y:
            if x > 0 and y > 0:
                return env
            first = first or env
    return first


def same_shape(a: tuple, b: tuple) -> bool:
    """Whether two shapes agree in every dimension for every size of their symbols."""
    return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))


def to_json(d: Dim):
    return d if isinstance(d, int) else str(d)
