"""Argument schemas of the layer kinds: declared in plain Python, judged by pydantic, and for the
plain values specs write checked directly, so that ``nnspec check`` never imports pydantic.

A kind declares its arguments as annotated fields, field order being positional order::

    class ConvArgs(ArgsModel):
        out: Int = Field(gt=0)
        kernel: IntOrList
        padding: IntOrList | Literal["same", "valid"] = 0

Declaring costs nothing: the types are plain Python types and :func:`Field` only records its
bounds. The declaration's strict pydantic model (``extra="forbid"``, so `true` is not the
integer 1 and a misspelt name is an error) is the judge of what fits. Most arguments a spec
writes are plain integers, booleans, numbers, words and lists of them, which a strict model
takes as they are: those are accepted by a direct check made from the same declaration
(:func:`_direct`), and pydantic, whose import alone costs more than elaborating ResNet-152,
is only imported for anything else. That check never rejects: any value it does not
recognise, and every value out of bounds, goes to pydantic, so every error message is
pydantic's verdict, and a test holds the check's answers equal to pydantic's.

>>> class DemoArgs(ArgsModel):
...     units: Int = Field(gt=0)
...     bias: Bool = True
>>> DemoArgs.validate({"units": 8})
DemoArgs(units=8, bias=True)
>>> DemoArgs.model_fields["bias"].default
True
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any, ClassVar

# The argument types: plain types, read strictly (the pydantic model is built with strict=True).
Int = int
Bool = bool
Number = int | float
IntOrList = int | list[int]

_REQUIRED = object()


class FieldInfo:
    """One declared argument: its default (none when required), bounds and description."""

    __slots__ = ("annotation", "bounds", "default", "description", "name")

    def __init__(self, default=_REQUIRED, bounds: dict | None = None, description: str | None = None):
        self.default, self.bounds, self.description = default, bounds or {}, description
        self.name = self.annotation = None

    def is_required(self) -> bool:
        return self.default is _REQUIRED

    def __repr__(self) -> str:
        default = "required" if self.is_required() else f"default={self.default!r}"
        return f"FieldInfo({self.name}: {self.annotation}, {default}, {self.bounds})"


def Field(default=_REQUIRED, *, gt=None, ge=None, lt=None, le=None, description: str | None = None) -> Any:
    """An argument with bounds: ``groups: Int = Field(1, gt=0)``; no default means required."""
    bounds = {k: v for k, v in (("gt", gt), ("ge", ge), ("lt", lt), ("le", le)) if v is not None}
    return FieldInfo(default, bounds, description)


class ArgsModel:
    """The validated arguments of one layer: read-only attributes, one per declared field.

    Subclasses declare fields (see the module's docstring); :meth:`validate` makes instances.
    ``model_fields`` maps each name, in positional order, to its :class:`FieldInfo`.
    """

    model_fields: ClassVar[dict[str, FieldInfo]] = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        fields = dict(cls.model_fields)  # a subclass extends its parent's fields
        for name, annotation in inspect.get_annotations(cls).items():
            value = cls.__dict__.get(name, _REQUIRED)
            info = value if isinstance(value, FieldInfo) else FieldInfo(value)
            info.name, info.annotation = name, annotation
            fields[name] = info
            if name in cls.__dict__:
                delattr(cls, name)  # an instance reads its own value, never the class's default
        cls.model_fields = fields

    def __init__(self, **values):
        for name, info in self.model_fields.items():
            object.__setattr__(self, name, values.get(name, info.default))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and vars(self) == vars(other)

    __hash__ = None  # lists among the values: equal, but not hashable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    @classmethod
    def construct(cls, **values) -> ArgsModel:
        """Arguments made by nnspec itself, taken as they are (defaults filled in)."""
        return cls(**values)

    @classmethod
    def validate(cls, values: dict) -> ArgsModel:
        """Validated arguments; raise pydantic's ``ValidationError`` when they do not fit.

        ``values`` maps declared names to spec values (ints, floats, bools, strings, lists).
        """
        if "_direct" not in cls.__dict__:
            cls._direct = _direct(cls)
        direct = cls._direct
        if direct is not None:
            out = {}
            for name, default, check in direct:
                if name in values:
                    v = check(values[name])
                    if v is _DOUBT:
                        break
                elif default is _REQUIRED:
                    break
                else:
                    v = default
                out[name] = v
            else:
                if values.keys() <= out.keys():  # no name the schema lacks (pydantic's error)
                    args = object.__new__(cls)
                    args.__dict__.update(out)
                    return args
        model = cls.pydantic_model()(**values)
        return cls(**{name: _copy(getattr(model, name)) for name in cls.model_fields})

    @classmethod
    def pydantic_model(cls):
        """The pydantic model of this declaration, built on first use."""
        if "_pydantic" not in cls.__dict__:
            import pydantic

            fields = {}
            for name, info in cls.model_fields.items():
                default = ... if info.is_required() else info.default
                fields[name] = (cls.annotations()[name], pydantic.Field(default, description=info.description, **info.bounds))
            config = pydantic.ConfigDict(extra="forbid", frozen=True, strict=True)
            cls._pydantic = pydantic.create_model(cls.__name__, __config__=config, __module__=cls.__module__, **fields)
        return cls.__dict__["_pydantic"]

    @classmethod
    def annotations(cls) -> dict[str, Any]:
        """Each field's type, evaluated (declarations hold them as text)."""
        hints = typing.get_type_hints(cls)
        return {name: hints[name] for name in cls.model_fields}


#: a direct check's answer when it cannot tell: pydantic decides
_DOUBT = object()
#: the integers a direct check takes; pydantic judges larger ones
_INT_LIMIT = 2**63


def _copy(v):
    return [_copy(x) for x in v] if type(v) is list else v


def _direct(cls: type[ArgsModel]) -> tuple | None:
    """``(name, default, check)`` per field, each ``check`` returning the value a strict
    pydantic model gives for a value it accepts or :data:`_DOUBT`; None when a field's type
    or default is one the direct check does not cover (the schema always goes to pydantic)."""
    hints = cls.annotations()
    out = []
    for name, info in cls.model_fields.items():
        check = _check_of(hints[name], info.bounds)
        if check is None or not (info.is_required() or type(info.default) in (int, float, bool, str, type(None))):
            return None
        out.append((name, info.default, check))
    return tuple(out)


def _check_of(tp, bounds: dict):
    """The direct check of one annotation (with ``Field`` bounds), or None when it has none."""
    if bounds:
        if tp not in (int, float, Number):
            return None
        inner = _check_of(tp, {})
        gt, ge, lt, le = (bounds.get(k) for k in ("gt", "ge", "lt", "le"))

        def bounded(v):
            v = inner(v)
            if v is _DOUBT or (gt is not None and not v > gt) or (ge is not None and not v >= ge) \
                    or (lt is not None and not v < lt) or (le is not None and not v <= le):
                return _DOUBT
            return v

        return bounded
    if tp is int:
        return lambda v: v if type(v) is int and -_INT_LIMIT <= v < _INT_LIMIT else _DOUBT
    if tp is bool:
        return lambda v: v if type(v) is bool else _DOUBT
    if tp is str:
        return lambda v: v if type(v) is str else _DOUBT
    if tp is float:  # a finite float; an int for a float field is pydantic's to judge
        return lambda v: v if type(v) is float and v - v == 0 else _DOUBT
    if tp is type(None):
        return lambda v: v if v is None else _DOUBT
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal and all(type(a) is str for a in args):
        words = frozenset(args)
        return lambda v: v if type(v) is str and v in words else _DOUBT
    if origin is list and len(args) == 1:
        item = _check_of(args[0], {})
        if item is None:
            return None

        def each(v):
            if type(v) is not list:
                return _DOUBT
            out = [item(x) for x in v]
            return _DOUBT if _DOUBT in out else out

        return each
    if origin in (typing.Union, types.UnionType):
        members = [_check_of(a, {}) for a in args]
        if None in members:
            return None

        def one_of(v):
            # the members take disjoint values (an exact type each), so at most one fits;
            # should two ever fit, pydantic's union rules decide
            found = [m(v) for m in members]
            fits = [f for f in found if f is not _DOUBT]
            return fits[0] if len(fits) == 1 else _DOUBT

        return one_of
    return None
