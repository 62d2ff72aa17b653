"""What the compile tests share: concrete inputs for a graph and the checks of a built module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from nnspec.core.dims import Sym
from nnspec.frontend.program import load_program
from nnspec.spec import Spec


def zoo_at(path, size: int):
    """A zoo spec whose square image input is ``size`` pixels wide instead of its published size
    (a built network checks its input's sizes): the spec's ``expect`` lines, written for the
    published size, are left out."""
    text = Path(path).read_text()
    text = re.sub(r"(input image: \[3), \d+, \d+\]", rf"\1, {size}, {size}]", text)
    text = "\n".join(line for line in text.split("\n") if not line.strip().startswith("expect "))
    return Spec(load_program(text, str(path)))  # its imports relative to the spec's folder


def concrete(shape, env: dict[str, int]) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) else d.value(env) for d in shape)


def symbols(graph) -> set[str]:
    out: set[str] = set()
    for i in graph.inputs:
        for d in graph.nodes[i].out.shape:
            if isinstance(d, Sym):
                out |= d.symbols()
    return out


def sizes(graph) -> dict[str, int]:
    """A size for each input symbol at which every value of ``graph`` has sizes of at least 1:
    5 (small, and odd so that no stride divides it) where the network takes it, else the least
    of 8, 16, ... that it takes (three poolings by 2 need 8)."""
    names = symbols(graph)
    for size in (5, 8, 16, 32, 64, 128, 256):
        env = dict.fromkeys(names, size)
        at = {**env, "batch": 2}  # a value across the batch (`batchdot`) has the batch's size
        if all(d.value(at) >= 1 for n in graph.nodes if n.out is not None for d in n.out.shape if isinstance(d, Sym)):
            return env
    return dict.fromkeys(names, 5)


def vocab(graph) -> int:
    """Token ids stay below every embedding's vocabulary."""
    sizes = [v for n in graph.nodes if n.layer is not None and (v := n.layer.vocabulary()) is not None]
    return min(sizes) if sizes else 2


def inputs(graph, env: dict[str, int], batch: int = 2, seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in graph.inputs:
        t = graph.nodes[i].out
        shape = (batch, *concrete(t.shape, env))
        if t.dtype == "int":
            high = vocab(graph)
            ids = torch.randint(0, high, shape, generator=gen)
            if t.pad is not None:  # no padding inside the sequences: padding comes at their ends
                ids[ids == t.pad] = (t.pad + 1) % high
            out.append(ids)
        else:
            out.append(torch.randn(shape, generator=gen))
    return out


def as_tuple(y) -> tuple:
    return y if isinstance(y, tuple) else (y,)


def check_module(graph, module, env: dict[str, int] | None = None, batch: int = 2) -> tuple:
    """The module's outputs have the inferred shapes and it has the inferred parameter count."""
    env = env or sizes(graph)
    assert sum(p.numel() for p in module.parameters()) == graph.total_params
    assert sum(b.numel() for b in module.buffers()) == graph.total_buffers
    module.eval()
    with torch.no_grad():
        ys = as_tuple(module(*inputs(graph, env, batch)))
    # a value across the batch (`batchdot`) has the batch's size where its shape says `batch`
    expected = [(batch, *concrete(t.shape, {**env, "batch": batch})) for t in graph.output_types()]
    assert [tuple(y.shape) for y in ys] == expected
    return ys


def assert_source_and_module_agree(spec, **params) -> None:
    """What `check` promises: the spec builds (with the network's ``params``), and the live
    module and its generated source run with the inferred shapes and give the same outputs for
    the same weights."""
    from nnspec.backends.codegen import class_name

    graph = spec.checked_graph(**params)
    model = spec.build(**params)
    env = sizes(graph)
    check_module(graph, model, env)
    # the source executed on its own gives the same outputs for the same weights
    namespace: dict = {}
    exec(compile(spec.to_source(**params), "<generated>", "exec"), namespace)  # noqa: S102 (generated source under test)
    twin = namespace[class_name(graph)]()
    twin.load_state_dict(model.state_dict())
    twin.eval()
    model.eval()
    xs = inputs(graph, env, batch=3, seed=1)
    with torch.no_grad():
        # a log or a root of a negative input (a mutated spec's) is NaN in both, at the same places
        torch.testing.assert_close(twin(*xs), model(*xs), equal_nan=True)
    assert list(twin.state_dict()) == list(model.state_dict())
    # torch.jit.script takes the generated class (the live module is one) and gives the same
    # outputs; torch.export is tried on test_build's cases
    check_scripts_and_exports(graph, model, export=False)


def check_scripts_and_exports(graph, module, env: dict[str, int] | None = None, export: bool = True) -> None:
    """torch.jit.script and torch.export take the module, and both give its outputs (a padded
    sequence is packed when scripted, and masked, to the same values, when exported)."""
    import warnings

    env = env or sizes(graph)
    xs = inputs(graph, env, 2)
    module.eval()
    with torch.no_grad():
        want = as_tuple(module(*xs))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script is deprecated, not gone
            scripted = torch.jit.script(module)
        for got, expected in zip(as_tuple(scripted(*xs)), want):
            torch.testing.assert_close(got, expected, equal_nan=True)  # NaN (a log of a negative) in both
        if not export:
            return
        with warnings.catch_warnings():
            # nn.LSTM re-assigns its weight list while traced: torch's own module, not ours
            warnings.filterwarnings("ignore", "The tensor attributes .*_flat_weights", UserWarning)
            if any(_padded_bidirectional_layers(graph, n) for n in graph.nodes):
                # masking gives packing's values for one layer, or in one direction only
                with pytest.raises(RuntimeError, match="a padded bidirectional recurrent layer of several layers"):
                    torch.export.export(module, tuple(xs))
                return
            if any(_padded_state(graph, n) for n in graph.nodes):
                # masking gives the last layer's outputs, not every layer's state (nor c)
                with pytest.raises(RuntimeError, match="a padded `lstm`, or recurrent layer of several layers, "
                                                       "with `output=state` cannot be exported"):
                    torch.export.export(module, tuple(xs))
                return
            exported = torch.export.export(module, tuple(xs)).module()
        for got, expected in zip(as_tuple(exported(*xs)), want):
            torch.testing.assert_close(got, expected, equal_nan=True)  # NaN (a log of a negative) in both


def _padded_bidirectional_layers(graph, n) -> bool:
    a = n.layer.args if n.layer is not None and n.op in ("lstm", "gru", "rnn") else None
    return a is not None and a.bidirectional and a.layers > 1 and graph.nodes[n.inputs[0]].out.masked


def _padded_state(graph, n) -> bool:
    a = n.layer.args if n.layer is not None and n.op in ("lstm", "gru", "rnn") else None
    return (a is not None and a.output == "state" and (n.op == "lstm" or a.layers > 1)
            and graph.nodes[n.inputs[0]].out.masked)
