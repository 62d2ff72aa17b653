"""The shape comments of a shared class: each value's shape, for all the instances the class
serves, written in its parameters and in symbols for the input's sizes
(``[width, (H - 1) // 2 + 1, W]``), ``?`` where no expression fits every instance."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ...core.code import render
from ...core.dims import Sym
from ...core.dims import equal as dims_equal
from .body import ABSENT, shaped
from .explain import evaluated, explain

if TYPE_CHECKING:
    from .share import Class


def _strided(ds: list, ins: list | None, params: dict[str, list]) -> str:
    """``(H - 1) // stride + 1`` when that gives each instance's size from its input's ``H``
    and its value of a parameter, else ``?``."""
    if ins is None or not all(isinstance(x, Sym) and x.is_atom() for x in ins) or len({str(x) for x in ins}) != 1:
        return "?"
    for name, vs in params.items():
        if all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in vs) and \
                all(dims_equal((x - 1) // v + 1, d) for x, v, d in zip(ins, vs, ds)):
            return f"({ins[0]} - 1) // {name} + 1"
    return "?"


def _related(extra: list[tuple], main: list[tuple], symbols: tuple, keep: int) -> list[tuple] | None:
    """The shape of another value a block reads, in each instance, with each size that
    varies between instances written over the symbols of the block's input (``symbols``, the
    input's shape with symbols where ``main``, its shape in each instance, varies): a symbol
    times a whole number or divided by one, in every instance alike; None when a size follows
    none of them. Its channels (dimension ``keep``) stay numbers, as the input's do."""
    if len({len(s) for s in extra}) != 1:
        return None
    dims = []
    for j in range(len(extra[0])):
        ds = [s[j] for s in extra]
        if j == keep or len({str(d) for d in ds}) == 1:
            dims.append(None)
            continue
        found = None
        # the input's size of the same dimension first: a square input has its H and W alike
        for m in sorted(range(len(symbols)), key=lambda m: m != j):
            sym, xs = symbols[m], [s[m] for s in main]
            if not isinstance(sym, Sym) or not all(type(v) is int and v > 0 for v in (*ds, *xs)):
                continue
            if all(d % x == 0 for d, x in zip(ds, xs)) and len({d // x for d, x in zip(ds, xs)}) == 1:
                found = sym * (ds[0] // xs[0])
            elif all(x % d == 0 for d, x in zip(ds, xs)) and len({x // d for d, x in zip(ds, xs)}) == 1:
                found = sym // (xs[0] // ds[0])
            if found is not None:
                break
        if found is None:
            return None
        dims.append(found)
    return [tuple(d if f is None else f for d, f in zip(s, dims)) for s in extra]


class ShapeComments:
    """The shape comments of :class:`~.share.Sharing`'s classes (a part of it)."""

    def symbolic_shapes(self, c: Class) -> list[dict[int, tuple]] | None:
        """For each instance of a class, the shape of every value of its code with the input's
        varying sizes as symbols (``H``, ``W``), its channels as they are; None when a layer
        cannot say. The sizes of the other values it reads (``Up(skip)``) are those symbols
        times or divided by a whole number (``2 * H``)."""
        ins = [self.nodes[u.inputs[0]].out for u in c.units]
        if len({len(t.shape) for t in ins}) != 1:
            return None
        rank, masked = len(ins[0].shape), ins[0].masked
        letters = {1: "F", 2: "TF" if masked else "CL", 3: "CHW", 4: "TCHW" if masked else "CDHW"}.get(rank)
        if letters is None:
            return None
        keep = rank - 1 if masked else 0  # channels (features of a sequence) stay numbers
        used = set().union(*(d.symbols() for t in ins for d in t.shape if isinstance(d, Sym)))
        out = []
        for u, t in zip(c.units, ins):
            shape = tuple(
                d if j == keep or len({str(x.shape[j]) for x in ins}) == 1 else
                Sym.symbol(letters[j] if letters[j] not in used else letters[j].lower())
                for j, d in enumerate(t.shape))
            types = {u.inputs[0]: replace(t, shape=shape)}
            for k, i in enumerate(u.inputs[1:], 1):
                other = _related([self.nodes[v.inputs[k]].out.shape for v in c.units], [x.shape for x in ins], shape, keep)
                if other is None:
                    return None
                types[i] = replace(self.nodes[i].out, shape=other[c.units.index(u)])
            try:
                for nid in self.plan.below(u):
                    n = self.nodes[nid]
                    xs = [types[i] for i in n.inputs]
                    types[nid] = n.layer.infer_many(xs) if n.layer.merges else n.layer.infer(xs[0])
            except Exception:  # noqa: BLE001 -- any layer that needs a number here: no symbols
                return None
            out.append({i: tt.shape for i, tt in types.items()})
        return out

    @staticmethod
    def shape_text(shapes: list[tuple], c: Class, inputs: list[tuple] | None = None, known: tuple = ()) -> str:
        """One shape comment for all instances of a class: a size the instances share, else a
        parameter expression, else ``?``. A size a stride divides (``(H - 1) // stride + 1``,
        a convolution's that keeps the size at stride 1) is found from the input's sizes.
        ``known``: of a value some instances only have, the class's expressions, its
        parameters' values and those instances, an expression of which is tried first."""
        if len({len(s) for s in shapes}) != 1:
            return "?"
        params = dict(c.params)
        dims = []
        for j in range(len(shapes[0])):
            ds = [s[j] for s in shapes]
            exprs, env, have = known or ((), {}, ())
            ints = all(isinstance(d, int) for d in ds)
            # only the channels (an image's first size, a sequence's last) follow the code's
            # sizes: a spatial size that equals one does so by chance
            channels = j == (0 if len(shapes[0]) >= 3 else len(shapes[0]) - 1)
            e = next((e for e in exprs if ints and channels and
                      all(evaluated(e, env, n) == d for n, d in zip(have, ds))), None)
            if e is not None:
                dims.append(render(e))
            elif all(dims_equal(ds[0], d) for d in ds[1:]):
                dims.append(str(ds[0]))
            elif ints:
                e = explain(ds, params) or explain(ds, params, products=True)
                dims.append(render(e) if e is not None else "?")
            else:
                dims.append(_strided(ds, [s[j] for s in inputs] if inputs and j < len(inputs[0]) else None, params))
        return "[" + ", ".join(dims) + "]"

    def shapes(self, c: Class) -> tuple[dict[int, str], str]:
        """The shape comment of each value of a class's body (keyed by its first instance's
        value ids), and the shape of its input."""
        from ...core.dims import shape_str

        if (not c.params and not c.flags) or c.units[0] is self.plan.root:  # the network's at its defaults
            u = c.units[0]
            return {i: shape_str(self.nodes[i].out.shape) for i in shaped(c.body or u.body) if i != ABSENT}, ""
        sym = self.symbolic_shapes(c)

        def shapes_of(ids: list[int]) -> list[tuple]:
            return [(sym[k][i] if sym else self.nodes[i].out.shape) for k, i in enumerate(ids) if i != ABSENT]

        def where(ids: list[int]) -> list[int]:
            return [i for i in ids if i != ABSENT]

        per_unit = [shaped(u.body) for u in c.units]
        keys = shaped(c.body or c.units[0].body)
        out = {}
        ins = shapes_of([u.inputs[0] for u in c.units])
        if any(len(x) != len(ins[0]) for x in ins):
            ins = None
        if any(len(ids) != len(keys) for ids in per_unit):
            return dict.fromkeys(where(keys), "?"), self.shape_text(ins, c) if ins is not None else "?"
        for k, i in enumerate(keys):
            ids = [ids[k] for ids in per_unit]
            have = [n for n, x in enumerate(ids) if x != ABSENT]
            sub_ins = [ins[n] for n in have] if ins is not None else None
            shown = replace(c, units=[c.units[n] for n in have], params=[(p, [vs[n] for n in have]) for p, vs in c.params])
            texts = [sym[n][ids[n]] if sym else self.nodes[ids[n]].out.shape for n in have]
            if i != ABSENT and have:
                # a value some instances lack, or of a class used once: the class's expressions
                known = (tuple(c.exprs.values()), dict(c.params), have) if len(have) < len(ids) or len(ids) == 1 else ()
                out[i] = self.shape_text(texts, shown, sub_ins, known)
        return out, self.shape_text(ins, c) if ins is not None else "?"
