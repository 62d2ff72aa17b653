"""Argument schemas of the layer kinds: declared in plain Python, validated by pydantic, and
remembered, so that a check whose argument sets were all seen before never imports pydantic.

A kind declares its arguments as annotated fields, field order being positional order::

    class ConvArgs(ArgsModel):
        out: Int = Field(gt=0)
        kernel: IntOrList
        padding: IntOrList | Literal["same", "valid"] = 0

Declaring costs nothing: the types are plain Python types and :func:`Field` only records its
bounds. The first time a set of arguments needs validating, the declaration becomes a strict
pydantic model (``extra="forbid"``, so `true` is not the integer 1 and a misspelt name is an
error) and pydantic validates. Each argument set pydantic accepts is remembered on disk
(:mod:`nnspec.argcache`), so a check of an unchanged or lightly edited spec never imports
pydantic, whose import alone is a third of a whole ``nnspec check``.

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
import typing
from typing import Any, ClassVar

from .. import argcache

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
        key = argcache.key(f"{cls.__module__}.{cls.__qualname__}", values)
        seen = argcache.recall(key)
        if isinstance(seen, tuple) and len(seen) == len(cls.model_fields):
            return cls(**dict(zip(cls.model_fields, seen)))
        model = cls.pydantic_model()(**values)
        out = cls(**{name: getattr(model, name) for name in cls.model_fields})
        argcache.remember(key, tuple(vars(out).values()))
        return out

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
