"""The Python API: :func:`load` a spec, then check, summarise, draw, compile or build it."""

from __future__ import annotations

import functools
import os
import sys

from .core.elaborate import Elaborator
from .core.ir import Graph
from .diagnostics import Diagnostic, NetworkChoiceError, SpecError
from .frontend.program import Program, load_program

# Deeply nested specs recurse deeply; stay far from Python's default limit.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


class Spec:
    """A loaded ``.nn`` file: its networks, blocks and diagnostics.

    >>> spec = load('network N { input x: [4]\\n dense(2) }')
    >>> spec.graph().outputs and spec.graph().output_types()[0].shape
    (2,)
    """

    def __init__(self, program: Program):
        self.program = program
        self._graphs: dict = {}
        # the --set values as the user typed them (``{"classes": "1e3"}``), for messages only:
        # the parameters themselves are the values read from them
        self.typed: dict[str, str] = {}

    @property
    def path(self) -> str:
        return self.program.path

    @property
    def sources(self) -> dict[str, str]:
        return self.program.sources

    @functools.cached_property
    def networks(self) -> list[str]:
        """Names of the networks of the main file, in source order (found once: a file of
        50,000 networks asks for each by name)."""
        return [d.name for d in self.program.networks()]

    @functools.cached_property
    def _network_names(self) -> frozenset[str]:
        return frozenset(self.networks)

    @functools.cached_property
    def _declared(self) -> frozenset[str]:
        """The parameters some network of the file declares."""
        return frozenset(p.name for d in self.program.networks() for p in d.params)

    def network_name(self, network: str | None = None) -> str:
        """The network ``network`` names (by default the file's only one); :class:`SpecError`
        when the file has none, :class:`NetworkChoiceError` when the name is none of the file's
        or the file has several and none is named."""
        names = self.networks
        if network is None:
            if not names:
                raise SpecError([Diagnostic("error", f"{self.path} defines no network")], self.sources)
            if len(names) > 1:
                raise NetworkChoiceError(
                    [Diagnostic("error", f"{self.path} defines several networks ({', '.join(names)})",
                                hint=f"choose one with --network, e.g. --network {names[0]}")],
                    self.sources,
                )
            return names[0]
        if network not in self._network_names:
            from .diagnostics import did_you_mean

            hint = did_you_mean(network, names)
            raise NetworkChoiceError(
                [Diagnostic("error", f"{self.path} has no network `{network}`; it has {', '.join(names) or 'none'}",
                            hint=hint)],
                self.sources,
            )
        return network

    def graph(self, network: str | None = None, **params) -> Graph:
        """The elaborated, typed graph of a network (the file's only network by default)."""
        name = self.network_name(network)
        # typed, so that 1, 1.0 and true are different graphs; lists (from --set or a
        # checkpoint) are keyed by their repr, and other values are never remembered
        key = (name, repr(sorted((k, type(v).__name__, v) for k, v in params.items())), repr(sorted(self.typed.items())))
        if key not in self._graphs or not all(type(v) in (int, float, bool, str, list) for v in params.values()):
            defn = self.program.definitions[name]
            self._graphs[key] = Elaborator(self.program, self.typed).network(defn, params)
        return self._graphs[key]

    def check(self, network: str | None = None, **params) -> list[Diagnostic]:
        """Every diagnostic: those of the file (syntax, imports, definitions), then, when it
        has no error, each network's (or one network's): a network of a broken file would
        only repeat its errors.

        A parameter applies to the networks that declare it, or to all when none does (each
        then says that it has no such parameter).
        """
        diags = list(self.program.diagnostics)
        if any(d.severity == "error" for d in diags):
            return _unique(diags)
        for name in [self.network_name(network)] if network else self.networks:
            diags += self.graph(name, **self.params_of(name, params)).diagnostics
        return _unique(diags)

    def params_of(self, network: str, params: dict) -> dict:
        """The ``params`` meant for ``network``: those it declares, and those no network declares."""
        if not params:
            return {}
        own = {p.name for p in self.program.definitions[network].params}
        return {k: v for k, v in params.items() if k not in self._declared or k in own}

    def checked_graph(self, network: str | None = None, **params) -> Graph:
        """The graph, or :class:`SpecError` with every error if the spec has any."""
        errors = [d for d in self.program.diagnostics if d.severity == "error"]
        if errors:
            raise SpecError(errors, self.sources)
        g = self.graph(network, **params)
        errors = [d for d in g.diagnostics if d.severity == "error"]
        if errors:
            raise SpecError(errors, self.sources)
        return g

    def summary(self, network: str | None = None, depth: int | None = None, freeze: list[str] | None = None,
                **params):
        """The summary table (see :mod:`nnspec.backends.summary`) of a checked network; ``freeze``
        globs count the parameters they cover as frozen (default: the train section's)."""
        from .backends.summary import Summary

        return Summary(self.checked_graph(network, **params), depth=depth, freeze=freeze)

    def to_dot(self, network: str | None = None, expand=None, direction: str = "TB", shapes: bool = True,
               compact: bool = False, depth: int | None = None, **params) -> str:
        """The architecture diagram as Graphviz DOT text (see :func:`nnspec.backends.diagram.to_dot`).

        >>> load('network N { input x: [4]\\n dense(2) }').to_dot().startswith('digraph "N"')
        True
        """
        from .backends.diagram import to_dot

        return to_dot(self.checked_graph(network, **params), expand=expand, direction=direction, shapes=shapes,
                      compact=compact, depth=depth)

    def __repr__(self) -> str:
        """``<nnspec.Spec specs/xo.nn: XO>``; a spec with errors lists them, as ``check`` prints them."""
        errors = [d for d in self.check() if d.severity == "error"]
        if not errors:
            return f"<nnspec.Spec {self.path}: {', '.join(self.networks) or 'no network'}>"
        head = f"<nnspec.Spec {self.path}: {len(errors)} error{'s' if len(errors) > 1 else ''}>"
        return "\n".join([head, *(d.render(self.sources) for d in errors)])

    def _repr_html_(self) -> str | None:
        """Jupyter shows a spec with errors as its diagnostics (a clean one as its diagram,
        :meth:`_repr_svg_`).

        >>> "unknown layer" in load("network N {\\n input x: [4]\\n dense(2) -> dence(3)\\n}")._repr_html_()
        True
        """
        import html

        if not any(d.severity == "error" for d in self.check()):
            return None
        return f"<pre>{html.escape(repr(self))}</pre>"

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a spec as its diagram (the only network, or the first), when Graphviz is installed."""
        from .backends.diagram import RenderError, render

        if not self.networks:
            return None
        try:
            return render(self.to_dot(self.networks[0]), "svg").decode()
        except (SpecError, RenderError):
            return None

    def to_source(self, network: str | None = None, **params) -> str:
        """Standalone PyTorch source of a network (see :mod:`nnspec.backends.codegen`); needs no torch."""
        from .backends.codegen import to_source

        graph = self.checked_graph(network, **params)
        return self._located(lambda: to_source(graph, self.path))

    def build(self, network: str | None = None, **params):
        """The live ``nn.Module`` of a network: the class :meth:`to_source` writes, instantiated."""
        from .backends.builder import build

        graph = self.checked_graph(network, **params)
        return self._located(lambda: build(graph, self.path))

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike) -> Spec:
        """The spec a checkpoint of ``nnspec train`` was trained from, read from the copy of
        its text (and its imports') that the checkpoint holds: nothing else is read.

        >>> Spec.from_checkpoint("runs/xo/best.pt").networks     # doctest: +SKIP
        ['XO']
        """
        from .train import checkpoint

        stored = checkpoint.load(os.fspath(path))["spec"]
        main = next(iter(stored))
        return cls(load_program(stored[main], main, stored=stored))

    def fit(self, data=None, *, network: str | None = None, params: dict | None = None, out: str | None = None,
            resume: bool = False, overwrite: bool = False, download: bool = False, progress: bool = False,
            **settings) -> dict:
        """Train a network as ``nnspec train`` does, on the same code path; returns
        ``{"history": [one row per epoch], "best": the best row, "out": the run's folder,
        "task", "loss", "warnings"}``. The folder holds best.pt, last.pt, metrics.jsonl and
        curves.png, as the command writes them.

        ``data`` is a data source as ``--data`` takes it (``"xo?n=600"``,
        ``"tensors:digits.npz"``, ...), or arrays in memory: ``(x, y)``, or ``([x1, x2], y)``
        for a network of several inputs. ``settings`` are the command's (``epochs``, ``lr``,
        ``batch_size``, ``schedule``, ``augment``, ... any key of
        :class:`nnspec.train.config.Settings`); they win over the spec's ``train`` section.
        ``params`` set network parameters (``--set``); ``out`` defaults to ``runs/SPEC``.

        >>> run = load("specs/xo.nn").fit("xo?n=600", epochs=3, lr=0.02)      # doctest: +SKIP
        >>> run["best"]["val_accuracy"], run["out"]                           # doctest: +SKIP
        (1.0, 'runs/xo')
        """
        from .train.config import TrainSettings, overrides
        from .train.loop import train

        raw = None
        if data is not None and not isinstance(data, str):
            raw, data = _arrays(data), None
        try:
            given = overrides({**settings, "data": data})
        except ValueError as e:
            raise TypeError(f"fit() got {e}") from None
        name = "spec" if self.path.startswith("<") else os.path.splitext(os.path.basename(self.path))[0]
        folder = out or os.path.join("runs", name)
        request = TrainSettings(folder, network, dict(params or {}), given, resume=resume, overwrite=overwrite,
                                download=download, live=progress)
        return train(self, request, raw)

    def evaluate(self, weights: str | os.PathLike, data: str | None = None, *, batch_size: int = 256,
                 device: str = "auto", seed: int | None = None, download: bool = False) -> dict:
        """The loss and metrics of a checkpoint on a data source, as ``nnspec evaluate
        --json`` prints them (the checkpoint's own source by default). ``weights`` is a
        checkpoint, or a run's folder (its best.pt).

        >>> load("specs/xo.nn").evaluate("runs/xo")["accuracy"]      # doctest: +SKIP
        1.0
        """
        from .train.assess import assess

        return assess(self, _checkpoint_path(weights), data, batch_size=batch_size, device=device, seed=seed,
                      download=download)

    def predict(self, weights: str | os.PathLike, inputs, *, top_k: int = 3, batch_size: int = 256,
                device: str = "auto") -> list[dict]:
        """A classifier's answers for ``inputs`` (image files or folders, texts, .npz files;
        one or a list), as ``nnspec predict --json`` prints them: ``{"input", "class",
        "probability", "top"}`` each. ``weights`` is a checkpoint, or a run's folder.

        >>> load("specs/xo.nn").predict("runs/xo", "x.png")[0]["class"]      # doctest: +SKIP
        'X'
        """
        from .train.predict import predict

        inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs
        return predict(self, _checkpoint_path(weights), [os.fspath(i) for i in inputs], top_k=top_k,
                       batch_size=batch_size, device=device)

    def _located(self, fn):
        try:
            return fn()
        except SpecError as e:
            raise SpecError(e.diagnostics, self.sources) from None


def _checkpoint_path(weights: str | os.PathLike) -> str:
    """A checkpoint's path: ``weights`` itself, or a run folder's best.pt."""
    path = os.fspath(weights)
    return os.path.join(path, "best.pt") if os.path.isdir(path) else path


def _arrays(data):
    """``(x, y)`` or ``([x1, x2, ...], y)`` in memory as a source's examples."""
    import numpy as np

    from .train.sources import Raw

    if not (isinstance(data, tuple) and len(data) == 2):
        raise TypeError("fit() takes data as a source (a string such as 'tensors:d.npz') or arrays (x, y)")
    x, y = data
    inputs = list(x) if isinstance(x, (list, tuple)) else [x]
    return Raw("arrays", np.asarray(y), [np.asarray(i) for i in inputs])


def load_weights(module, weights):
    """Load ``weights`` into a built module (``nnspec.build``): a path (an nnspec checkpoint,
    a ``state_dict`` saved as .pt/.pth, a .safetensors file), a loaded checkpoint
    (``torch.load("best.pt")``) or a state dict. Tensors load by name when the names match,
    else by order and shape (see :func:`nnspec.backends.weights.load_weights`); returns how.

    >>> model = nnspec.build("specs/xo.nn")                   # doctest: +SKIP
    >>> nnspec.load_weights(model, "runs/xo/best.pt")          # doctest: +SKIP
    LoadReport(by='name', ...)
    """
    from .backends.weights import load_weights as load
    from .train.transfer import read_weights, tensors_of

    if isinstance(weights, (str, os.PathLike)):
        return load(module, read_weights(os.fspath(weights)))
    return load(module, tensors_of(weights))


def _unique(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for d in diags:
        key = (d.severity, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def load(source: str | os.PathLike) -> Spec:
    """Load a spec from a path or from the text of a ``.nn`` file.

    A string containing a newline or a ``{`` is taken as text; anything else as a path.
    Problems never raise here: they are in ``spec.check()``.
    """
    if isinstance(source, os.PathLike) or ("\n" not in str(source) and "{" not in str(source)):
        path = os.fspath(source)
        text = read_text(path)
        return Spec(load_program(text, path))
    return Spec(load_program(str(source), "<string>"))


def read_text(path: str) -> str:
    """A spec file's text; raises :class:`SpecError` when it cannot be read as UTF-8 text
    (see :func:`nnspec.frontend.program.read_source`)."""
    from .frontend.program import SourceError, read_source

    try:
        return read_source(path)
    except SourceError as e:
        if e.where is not None:
            raise SpecError([Diagnostic("error", e.reason, e.where)]) from None
        raise SpecError([Diagnostic("error", f"{path}: {e.reason}")]) from None
