"""The base of every layer kind, and the registry that maps kind names to their classes.

A layer kind is one subclass declaring, side by side: its ``kind`` name, its ``family``
(diagram colour), its argument schema ``Args`` (see :mod:`.schema`; field order is the
positional order), its shape rule, its parameter and MAC counts, and the PyTorch code it
compiles to. Subclassing registers it; nothing else needs to change to add a layer.
"""

from __future__ import annotations

import typing
from typing import ClassVar, Literal

from ...diagnostics import did_you_mean
from ...frontend.ast import value_text
from ..binding import ArgError, Signature
from ..code import Call, Code, Defaulted, Name, render
from ..dims import SIZES_ARE_PARAMETERS, Dim, Sym, shape_str
from ..ir import TensorType
from ..shapes import ShapeError
from .schema import ArgsModel

_NO_DEFAULT = object()  # a required argument's: no value equals it


class Layer:
    """Base of every layer kind. Subclasses set ``kind`` and ``Args`` and override the rules."""

    kind: ClassVar[str]
    family: ClassVar[str] = "other"
    Args: ClassVar[type[ArgsModel]] = ArgsModel
    #: takes several inputs (merges); the others take exactly one
    merges: ClassVar[bool] = False
    #: a small use of the kind, ``(input declaration, chain)``: built, run and compiled by the
    #: tests, and shown by ``nnspec layers`` and docs/layers.md
    example: ClassVar[tuple[str, str]] = ()
    #: what other tools call this kind (``linear`` for ``dense``): an unknown layer named so
    #: is answered with this kind
    synonyms: ClassVar[tuple[str, ...]] = ()
    #: named values a call may pass besides the chain's value (``attention(8, memory)``); they
    #: follow the chain's value in ``infer_many`` and ``forward_code``
    values: ClassVar[int] = 0
    #: keyword arguments that name a value (``attention(8, mask=m)``): bound as the value's
    #: name, and the value follows the chain's value and the positional named values
    value_keywords: ClassVar[tuple[str, ...]] = ()
    #: of a kind with named values, the input whose padding ``forward_code`` is given: the
    #: last (the sequence ``attention`` attends to), or 0 (the sequence a recurrent layer reads)
    padding_of: ClassVar[int] = -1
    #: accepts `int` tensors (token ids); the others need floats
    takes_int: ClassVar[bool] = False
    #: created by the elaborator, never called by name in a spec
    internal: ClassVar[bool] = False
    #: diagrams draw this kind as this symbol in a small circle (``+``) instead of a box
    glyph: ClassVar[str | None] = None
    #: the font size of its box in diagrams, when it is smaller than the others'
    font_size: ClassVar[int | None] = None
    registry: ClassVar[dict[str, type[Layer]]] = {}
    #: the values of this kind that training keeps for the backward pass: its ``inputs`` (a
    #: layer with weights needs them for their gradients: the default), its ``output`` (relu,
    #: sigmoid, tanh, softmax: their derivative is a function of the result), both, the
    #: ``others`` of an input that needs a gradient (a product), or none (reshapes, sums,
    #: concatenation); :meth:`kept_extra` adds what else it keeps
    keeps: ClassVar[tuple[str, ...]] = ("inputs",)
    #: its output depends on its input's values, so a gradient flows back through it (not
    #: for noise samples, which take only the input's shape)
    passes_gradient: ClassVar[bool] = True
    #: its output is a view of its input, the same memory (flatten, reshape, permute, slices)
    view: ClassVar[bool] = False
    #: its output is one value for the whole batch, expanded over it (positions' step numbers)
    batchless: ClassVar[bool] = False
    #: its output's entries range over the samples of the batch (``batchdot``): it cannot run
    #: inside ``each``, whose batch holds every step of every sequence
    across_batch: ClassVar[bool] = False
    #: spatial dimensions of the input, recorded by windowed kinds' shape rules so that their
    #: labels draw a kernel as ``3×3`` or ``3×3×3``
    spatial_dims: int = 2

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "kind" in cls.__dict__:
            Layer.registry[cls.kind] = cls

    def __init__(self, args: ArgsModel):
        self.args = args

    # -- arguments -------------------------------------------------------------------
    @classmethod
    def signature(cls) -> Signature:
        """How a call binds to this kind: its argument names in positional order."""
        sig = cls.__dict__.get("_signature")
        if sig is None:
            sig = Signature(f"`{cls.kind}`", tuple(cls.Args.model_fields))
            cls._signature = sig
        return sig

    @classmethod
    def bind(cls, positional: list, keywords: dict[str, object]) -> Layer:
        """Validate arguments given by position then keyword; raise :class:`ArgError`."""
        return cls.bind_pairs([(None, v) for v in positional] + list(keywords.items()))

    @classmethod
    def bind_pairs(cls, args: list[tuple[str | None, object]]) -> Layer:
        """Validate a call's ``(keyword or None, value)`` arguments in call order; raise
        :class:`ArgError` for the first that does not fit."""
        key = _call_key(cls, args)
        known = _BOUND.get(key) if key is not None else None
        if known is not None:
            return cls(known)
        layer = cls._bind_afresh(args)
        if key is not None and len(_BOUND) < _BOUND_MAX and not any(type(v) is list for v in vars(layer.args).values()):
            _BOUND[key] = layer.args
        return layer

    @classmethod
    def _bind_afresh(cls, args: list[tuple[str | None, object]]) -> Layer:
        values, problems = cls.signature().bind(args)
        if problems:  # every one of them: `conv(8, kernel_size=3, strides=2)` has two
            first = _foreign_argument(cls, problems[0], args)
            first.others = [_foreign_argument(cls, p, args) for p in problems[1:]]
            raise first
        if cls.internal:  # made by the elaborator, never written by a user
            args = cls.Args.construct(**values)
        else:
            try:
                args = cls.Args.validate(values)
            except ValueError as e:  # pydantic's ValidationError is one
                raise _translate(cls, e, values) from None
        layer = cls(args)
        layer.check_args()
        return layer

    def check_args(self) -> None:
        """Constraints between arguments; raise :class:`ArgError`."""

    # -- shape rules -------------------------------------------------------------------
    def infer(self, x: TensorType) -> TensorType:
        """Output type for one input; raise :class:`~nnspec.core.shapes.ShapeError`."""
        return x

    def infer_many(self, xs: list[TensorType]) -> TensorType:
        """Output type for several inputs (merges override this)."""
        return self.infer(xs[0])

    def param_count(self, x: TensorType) -> int:
        return 0

    def vocabulary(self) -> int | None:
        """The number of token ids this layer reads, when it reads token ids."""
        return None

    def macs(self, x: TensorType, y: TensorType) -> Dim:
        """Multiply-accumulates for one sample."""
        return 0

    def kept_inputs(self, inputs: list) -> list:
        """Of the inputs (node ids), those whose values ``keeps = ("inputs",)`` keeps: all of
        them, but for a value only added (attention's mask)."""
        return inputs

    def kept_extra(self, xs: list[TensorType], y: TensorType) -> tuple[Dim, int]:
        """Bytes training keeps for the backward pass besides the values of :attr:`keeps`:
        per sample (a pool's argmax indices, dropout's mask, a norm's statistics per sample,
        a recurrent layer's gates) and per batch (batch norm's statistics per channel)."""
        return 0, 0

    # -- PyTorch ----------------------------------------------------------------------
    def module_code(self, x: TensorType) -> Code | None:
        """The module's constructor as a value (``call("nn.Conv2d", 3, 64, 7, ...)``), or None."""
        return None

    def labelled_module_code(self, x: TensorType) -> Code | None:
        """The module a labelled item of a kind that needs none registers (a global pool, so
        that ``avgpool`` is a module a user can reach and hook); :meth:`forward_code` is then
        given it. None: a labelled item is computed as an unlabelled one."""
        return None

    #: source of module-level helper functions the forward expression calls (emitted once
    #: at the top of generated code when the kind is used)
    runtime: ClassVar[str] = ""

    def forward_code(self, module: Code | None, xs: list[Code], types: list[TensorType],
                     lengths: Code | None = None) -> Code:
        """The forward expression as a value.

        ``module`` reaches this node's module (``self.features[0]``), None when
        :meth:`module_code` is None; ``xs`` are the input expressions, ``types`` their types;
        ``lengths`` holds each sequence's true length when the input is masked.
        """
        return Call(module, tuple(xs))

    def torch_module(self, x: TensorType) -> str | None:
        """The source text of :meth:`module_code`, or None."""
        code = self.module_code(x)
        return render(code) if code is not None else None

    def torch_forward(self, module: str | None, xs: list[str], types: list[TensorType], lengths: str | None = None) -> str:
        """The source text of :meth:`forward_code` with the module, inputs and lengths named."""
        code = self.forward_code(Name(module) if module is not None else None, [Name(x) for x in xs], types,
                                 Name(lengths) if lengths is not None else None)
        return render(code)

    # -- presentation ----------------------------------------------------------------------
    def describe(self) -> str:
        """Short label: the kind and its key arguments (``conv 64 3×3 /2``)."""
        return self.kind

    def changed(self, name: str, convert=None) -> Defaulted:
        """An argument's value for a constructor keyword, left out of the source where the
        spec left it at the schema default.

        Generated constructors show only changed values, so PyTorch's own defaults (which the
        schema defaults equal) stay implicit: ``call("nn.Conv2d", 3, 64, 3, stride=self.changed("stride"))``.
        A required argument has no default: it is always shown.
        """
        value = getattr(self.args, name)
        field = type(self.args).model_fields[name]
        convert = convert or (lambda v: v)
        default = _NO_DEFAULT if field.is_required() else convert(field.default)
        # a block's parameter (a symbol while the code generator walks its definition) stays itself
        return Defaulted(value if isinstance(value, (Sym, Code)) else convert(value), default)

    def arg_items(self) -> list[tuple[str, object]]:
        """Arguments that differ from their defaults, in schema order."""
        out = []
        for name, field in type(self.args).model_fields.items():
            value = getattr(self.args, name)
            if field.is_required() or value != field.default:
                out.append((name, value))
        return out


def need_rank(x: TensorType, ranks, what: str, hint: str | None = None) -> None:
    """Raise a :class:`ShapeError` unless ``x`` has one of ``ranks`` (non-batch) dimensions."""
    if len(x.shape) not in ranks:
        names = [f"{r}-d" for r in sorted(ranks)]
        names = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        raise ShapeError(f"{what} needs a {names} input, got {shape_str(x.shape)}", hint=hint)


def need_divisor(size: int, arg: str, value: int, what: str, x: TensorType) -> None:
    """Raise a :class:`ShapeError` unless the argument ``arg=value`` divides ``size``, the
    input's ``what`` (``channels``), listing the divisors in the hint."""
    if not (isinstance(size, int) and isinstance(value, int)) and SIZES_ARE_PARAMETERS.get():
        return  # sizes of a definition's walk: each instance is checked with its numbers
    if size % value:
        raise ShapeError(
            f"`{arg}={value}` must divide the {size} {what} of the input {shape_str(x.shape)}",
            arg=arg,
            hint=f"divisors of {size}: {', '.join(str(d) for d in range(1, size + 1) if size % d == 0)}"
            if size <= 4096 else None,
        )




def need_concrete(d: Dim, what: str) -> int:
    if not isinstance(d, int) and not SIZES_ARE_PARAMETERS.get():
        raise ShapeError(f"{what} must be a known size, but it is `{d}`, which varies between batches")
    return d


# -- what people coming from Keras and PyTorch write --------------------------------
#: argument names of Keras and PyTorch, and the names nnspec's kinds give them: the first of
#: those a kind has is the hint for a call that uses the foreign name
FOREIGN_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "filters": ("out",), "out_channels": ("out",), "kernel_size": ("kernel",), "pool_size": ("kernel",),
    "strides": ("stride",), "dilation_rate": ("dilation",), "use_bias": ("bias",),
    "units": ("units", "hidden"), "out_features": ("units",), "hidden_size": ("hidden",),
    "num_layers": ("layers",), "rate": ("p", "dropout"), "epsilon": ("eps",), "num_heads": ("heads",),
    "negative_slope": ("slope",), "alpha": ("slope",), "scale_factor": ("scale",), "size": ("scale",),
    "num_embeddings": ("vocab",), "input_dim": ("vocab",), "output_dim": ("dim",), "embedding_dim": ("dim",),
    "axis": ("dim",), "num_groups": ("groups",),
}
#: arguments Keras and PyTorch need and nnspec infers from the input's shape
INFERRED_ARGUMENTS = ("in_channels", "in_features", "input_size", "input_shape", "input_dim", "num_features",
                      "normalized_shape", "embed_dim", "num_channels")


def _foreign_argument(cls: type[Layer], e: ArgError, args: list[tuple[str | None, object]]) -> ArgError:
    """``e`` with a hint where an unknown keyword is what Keras or PyTorch call an argument:
    ``filters=`` is ``out``, ``activation=relu`` is a layer of its own in the chain, and
    ``in_channels=`` is inferred."""
    if not e.keyword or not isinstance(e.arg, int):
        return e
    name, value = args[e.arg]
    hint = None
    if name == "activation":
        act = value if isinstance(value, str) else "relu"
        hint = (f"an activation is a layer of its own: chain it, `{cls.kind}(...) -> {act}`"
                if act not in ("softmax", "logsoftmax") else
                "leave the softmax out: `nnspec train`'s loss applies it to the scores (chain `-> softmax` "
                "only where the network itself must output probabilities)")
    elif name in FOREIGN_ARGUMENTS:
        ours = next((n for n in FOREIGN_ARGUMENTS[name] if n in cls.signature().names), None)
        hint = f"nnspec's name for `{name}` is `{ours}`" if ours is not None else None
    if hint is None and name in INFERRED_ARGUMENTS:
        hint = f"leave `{name}` out: nnspec infers it from the input's shape"
    return ArgError(e.message, e.arg, hint, keyword=True) if hint is not None else e


# -- turning pydantic's errors into the user's terms ----------------------------------
def describe_type(ann) -> str:
    """An argument type in the user's words: ``an integer or a list of integers``."""
    origin = typing.get_origin(ann)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        parts = [describe_type(a) for a in typing.get_args(ann) if a is not type(None)]
        if "a number" in parts and "an integer" in parts:  # an integer is a number
            parts.remove("an integer")
        return ", ".join(parts[:-1]) + " or " + parts[-1] if len(parts) > 1 else parts[0]
    if origin is Literal:
        return " or ".join(f"`{value_text(v)}`" for v in typing.get_args(ann))
    if origin is list:
        (inner,) = typing.get_args(ann) or (object,)
        return f"a list of {_plural(describe_type(inner))}"
    if origin is typing.Annotated:
        return describe_type(typing.get_args(ann)[0])
    return {int: "an integer", float: "a number", bool: "`true` or `false`", str: "a string"}.get(ann, str(ann))


def _plural(s: str) -> str:
    return {"an integer": "integers", "a number": "numbers"}.get(s, s)


def _choices(ann) -> list[str]:
    out = []
    for a in typing.get_args(ann) or ():
        if typing.get_origin(a) is Literal:
            out += [str(v) for v in typing.get_args(a)]
    if typing.get_origin(ann) is Literal:
        out += [str(v) for v in typing.get_args(ann)]
    return out


#: validated arguments by call (:func:`_call_key`), this process's own: binding is a pure function
#: of the kind and the values, and arguments that hold no list are immutable, so the layers of
#: equal calls (the same block used 2,500 times) share them; only calls that bound are kept
_BOUND: dict = {}
_BOUND_MAX = 50_000


def _call_key(cls: type[Layer], args: list) -> tuple | None:
    """A call's key for :data:`_BOUND`: the kind, and each argument's keyword, type and value
    (``1``, ``1.0`` and ``true`` apart; a float by its repr, so ``-0.0`` is not ``0.0``); None
    for a call with a value that is not an int, bool, str or float."""
    key = [cls]
    for name, v in args:
        t = type(v)
        if t is int or t is bool or t is str:
            key.append((name, t, v))
        elif t is float:
            key.append((name, t, repr(v)))
        else:
            return None
    return tuple(key)


def _translate(cls: type[Layer], e: ValueError, values: dict) -> ArgError:
    from pydantic import ValidationError

    if not isinstance(e, ValidationError):
        raise e
    err = e.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else None
    if err["type"] == "missing":
        return cls.signature().missing(name)
    field = cls.Args.annotations().get(name)
    got = values.get(name)
    ctx = err.get("ctx") or {}
    for key, word in (("gt", "greater than"), ("ge", "at least"), ("lt", "less than"), ("le", "at most")):
        if key in ctx and err["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
            return ArgError(f"`{name}` must be {word} {ctx[key]}, got {value_text(got)}", arg=name)
    if err["type"] == "value_error":
        return ArgError(f"`{name}`: {ctx.get('error', err['msg'])}", arg=name)
    expects = describe_type(field) if field else "something else"
    hint = did_you_mean(got, _choices(field)) if isinstance(got, str) and field else None
    if isinstance(got, float) and "integer" in expects:
        low = int(got // 1)
        hint = hint or f"sizes are whole numbers, e.g. {low} or {low + 1} (where a division made it, `//` divides to one)"
    return ArgError(f"`{name}` of `{cls.kind}` must be {expects}, got {value_text(got)}", arg=name, hint=hint)


def times(value, n: int = 2) -> str:
    """``3×3`` for a kernel of 3 over two spatial dims, ``1×7`` for a list."""
    vals = list(value) if isinstance(value, (list, tuple)) else [value] * n
    return "×".join(str(v) for v in vals)
