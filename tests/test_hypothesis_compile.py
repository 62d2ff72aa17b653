"""Random valid specs (chains, blocks, branches, residuals, recurrent layers): inference, the
generated source run in a fresh interpreter with only torch, and the live module agree on
shapes, parameter counts, state-dict keys and outputs for the same weights, and the generated
source scripts with torch.jit.script."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import torch
from compile_support import assert_source_and_module_agree, inputs, symbols
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnspec

SIZES = st.sampled_from([2, 3, 4, 6])


@st.composite
def vector_items(draw, width: int, depth: int) -> tuple[list[str], int]:
    """Items over a vector [width]: (lines, width after)."""
    choice = draw(st.sampled_from(["dense", "act", "norm", "add", "concat", "residual", "shortcut"][: 7 if depth < 2 else 3]))
    if choice == "dense":
        n = draw(SIZES)
        return [f"dense({n}, bias={draw(st.sampled_from(['true', 'false']))}, "
                f"weight_norm={draw(st.sampled_from(['false', 'true']))})"], n
    if choice == "act":
        return [draw(st.sampled_from(["relu", "tanh", "sigmoid", "gelu", "leakyrelu(0.1)", "identity",
                                      "gelu(approximate=tanh)", "tanh(amplitude=1.7159, slope=2 / 3)", "scale(0.5)",
                                      "shift(-1)", "pow(2) -> sqrt", "normalize", "sigmoid -> log -> exp"]))], width
    if choice == "norm":
        return [draw(st.sampled_from(["layernorm", "batchnorm", "dropout(0.3)"]))], width
    if choice == "add":
        body, w = draw(vector_chain(width, depth + 1, end=width))
        return ["add {", "  | " + " -> ".join(body), "  | identity", "}"], width
    if choice == "concat":
        a, wa = draw(vector_chain(width, depth + 1))
        b, wb = draw(vector_chain(width, depth + 1))
        return ["concat {", "  | " + " -> ".join(a), "  | " + " -> ".join(b), "}"], wa + wb
    if choice == "residual":
        body, _ = draw(vector_chain(width, depth + 1, end=width))
        return ["residual { " + " -> ".join(body) + " }"], width
    body, w = draw(vector_chain(width, depth + 1))
    return ["residual { " + " -> ".join(body) + f" }} shortcut {{ dense({w}) }}"], w


@st.composite
def vector_chain(draw, width: int, depth: int, end: int | None = None) -> tuple[list[str], int]:
    items: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        lines, width = draw(vector_items(width, depth))
        items.append(" ".join(lines))
    if end is not None and width != end:
        items.append(f"dense({end})")
        width = end
    return items, width


@st.composite
def image_items(draw, c: int, hw: int) -> tuple[list[str], int, int]:
    choice = draw(st.sampled_from(["conv", "bn", "pool", "residual", "auto", "concat", "last"]))
    if choice == "conv":
        n, k = draw(SIZES), draw(st.sampled_from([1, 3]))
        return [f"conv({n}, {k}, padding={k // 2}, weight_norm={draw(st.sampled_from(['false', 'true']))})"], n, hw
    if choice == "bn":
        return [draw(st.sampled_from(["batchnorm", "relu", "groupnorm(1)"]))], c, hw
    if choice == "pool" and hw >= 4:
        return [draw(st.sampled_from(["maxpool(2)", "avgpool(2)"]))], c, hw // 2
    if choice == "residual":
        return [f"residual {{ conv({c}, 3, padding=1) -> relu }}"], c, hw
    if choice == "auto" and hw >= 4:
        n = draw(SIZES)
        return [f"residual {{ conv({n}, 3, stride=2, padding=1) -> batchnorm }} shortcut auto"], n, (hw + 1) // 2
    if choice == "last":  # channels moved last: dense acts on them through residuals, merges and slices
        n = draw(SIZES)
        inner = draw(st.sampled_from([f"residual {{ layernorm -> dense({c}) }}", f"add {{ | identity | dense({c}) }}",
                                      f"concat(dim=-1) {{ | identity | dense({n}) }}", f"slice(0, {hw // 2}) -> slice(0, {hw // 2}, dim=1) -> dense({n})",
                                      f"reshape([2, {hw // 2}, {hw}, {c}]) -> dense({n}) -> reshape([{hw}, {hw}, {n}])",
                                      # windows of 2 rows, attended with a relative-position bias, a roll
                                      f"roll([1, -1], [0, 1]) -> reshape([{hw // 2}, {2 * hw}, {c}]) -> attention("
                                      f"{draw(st.sampled_from([1, c]))}, relative=[2, {hw}], key_bias="
                                      f"{draw(st.sampled_from(['true', 'false']))}) -> reshape([{hw}, {hw}, {c}])"]))
        widths = {"concat": c + n, "slice": n, "reshape": n}
        out = next((w for k, w in widths.items() if inner.startswith(k)), c)
        return [f"permute([1, 2, 0]) -> {inner} -> permute([2, 0, 1])"], out, hw // 2 if inner.startswith("slice") else hw
    a, b = draw(SIZES), draw(SIZES)
    return [f"concat {{ | conv({a}, 1) | conv({b}, 3, padding=1) }}"], a + b, hw


@st.composite
def network(draw) -> str:
    """A whole spec: an image, vector or sequence network, sometimes through a block used twice."""
    kind = draw(st.sampled_from(["vector", "image", "sequence", "tokens"]))
    blocks, lines = [], []
    if kind == "vector":
        width = draw(SIZES)
        decl = f"[{width}]"
        body, width = draw(vector_chain(width, 0))
        lines += body
        if draw(st.booleans()):
            inner, _ = draw(vector_chain(width, 1, end=width))
            blocks.append("block Twice(w) {\n  " + "\n  ".join(inner) + "\n}")
            lines += [f"Twice({width})", f"t: Twice({width})"]
    elif kind == "image":
        c, hw = draw(st.sampled_from([1, 3])), draw(st.sampled_from([4, 8]))
        decl = f"[{c}, {hw}, {hw}]"
        for _ in range(draw(st.integers(1, 4))):
            item, c, hw = draw(image_items(c, hw))
            lines += item
        lines.append(draw(st.sampled_from(["flatten", "globalavgpool", "globalmaxpool", "mean([1, 2])", "sum([1, 2])",
                                           "max([-1, -2])"])))
    else:
        width = draw(SIZES)
        decl = f"[T, {width}]" if kind == "sequence" else "[T] int pad=0"
        if kind == "tokens":
            lines.append(f"embedding(13, {width})")
        for _ in range(draw(st.integers(1, 3))):
            layer = draw(st.sampled_from(["lstm", "gru", "rnn", "each", "dense", "positions", "attention"]))
            if layer == "attention":  # biases of their own, causal or not; padding masked out
                heads = draw(st.sampled_from([1, width]))
                biases = draw(st.sampled_from(["", ", key_bias=false", ", bias=false, out_bias=true"]))
                lines.append(f"residual {{ layernorm -> attention({heads}{biases}, "
                             f"causal={draw(st.sampled_from(['true', 'false']))}) }}")
            elif layer == "positions":  # a fixed or a learned position table, cut to the length
                table = draw(st.sampled_from(["sinusoid(4)", "embedding(9, 4)"]))
                lines.append(f"add {{ | identity | positions -> {table} -> dense({width}) }}")
            elif layer == "each":
                width = draw(SIZES)
                lines.append(f"each {{ dense({width}) -> relu }}")
            elif layer == "dense":
                width = draw(SIZES)
                lines.append(f"dense({width})")
            else:
                h, bi = draw(SIZES), draw(st.booleans())
                lines.append(f"{layer}({h}, bidirectional={'true' if bi else 'false'})")
                width = h * (2 if bi else 1)
        lines.append(draw(st.sampled_from(["last", f"lstm({draw(SIZES)}, output=final)", "mean(0)", "sum(0)"])))
    lines.append(f"out: dense({draw(SIZES)})")
    if draw(st.sampled_from([False, False, False, True])):  # each sample against every sample of the batch
        lines.append("normalize -> batchdot")
    text = "\n\n".join(blocks + ["network Random {\n  input x: " + decl + "\n  " + "\n  ".join(lines) + "\n}"])
    return text + "\n"


@st.composite
def shaping_ops(draw, rank: int, sequence: bool) -> list[str]:
    """Reshapes, permutes and the like that hold for every instance of a block over
    ``c * a * -1`` elements (``a`` divides the rest), sized by the block's parameters."""
    ops = []
    lead = "T" if sequence else "c"  # a sequence keeps its time steps in front
    forms = {f"reshape([{lead}, a, -1])": 3, f"reshape([{lead}, -1, a])": 3, f"reshape([{lead}, -1])": 2}
    if not sequence:
        forms |= {"reshape([c * a, -1])": 2, "reshape([-1, c])": 2, "reshape([a, -1, c])": 3, "flatten": 1}
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.sampled_from(["reshape", "permute", "elementwise"]))
        if choice == "permute" and rank >= 2:
            order = draw(st.permutations(range(rank)) if not sequence else
                         st.permutations(range(1, rank)).map(lambda p: [0, *p]))
            ops.append(f"permute([{', '.join(map(str, order))}])")
        elif choice == "elementwise":
            ops.append(draw(st.sampled_from(["relu", "layernorm", "dropout(0.2)"])))
        else:
            op = draw(st.sampled_from(sorted(forms)))
            ops.append(op)
            rank = forms[op]
    return ops


@st.composite
def shaping_network(draw) -> str:
    """A block whose reshape/permute/split sizes come from its parameters, used two or three
    times at different sizes in one network: the instances share a class where the sizes allow."""
    if draw(st.booleans()):
        hw = draw(st.sampled_from([4, 8]))
        ops = draw(shaping_ops(3, sequence=False))
        if draw(st.booleans()):  # a channel split, the pieces sized by a parameter
            ops.insert(0, "concat { | split([1, c - 1], 0) | split([1, c - 1], 1) -> relu }")
        block = f"block Shape(c, a) {{\n  conv(c, 1)\n  {' -> '.join(ops)}\n  reshape([c, {hw}, {hw}])\n}}"
        decl, tail = f"[3, {hw}, {hw}]", "flatten"
        divisors = [1, 2, 4]
    else:
        ops = draw(shaping_ops(2, sequence=True))
        if draw(st.booleans()):  # a split of the features, into pieces of `a`
            ops.insert(0, "concat(dim=-1) { | split(a, 0, dim=-1) | split([a, c * a - a], 1, dim=-1) -> relu }")
        block = f"block Shape(c, a) {{\n  dense(c * a)\n  {' -> '.join(ops)}\n  reshape([T, c * a])\n}}"
        decl, tail = "[T, 3]", draw(st.sampled_from(["last", "mean(0)", "lstm(3, output=final)"]))
        divisors = [1, 2, 3]
    a = draw(st.sampled_from(divisors))
    uses = [f"Shape({draw(SIZES)}, {a if draw(st.booleans()) else draw(st.sampled_from(divisors))})"
            for _ in range(draw(st.integers(2, 3)))]
    return (f"{block}\n\nnetwork Random {{\n  input x: {decl}\n  {' -> '.join(uses)}\n  {tail}\n"
            f"  out: dense({draw(SIZES)})\n}}\n")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network())
def test_inference_live_module_and_source_agree(text):
    assert_source_and_module_agree(nnspec.load(text))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shaping_network())
def test_shared_blocks_that_reshape_run_as_checked(text):
    assert_source_and_module_agree(nnspec.load(text))


FRESH = textwrap.dedent(
    """
    import importlib.util, sys
    sys.path.append(sys.argv.pop())  # torch's folder; the interpreter runs without site (-S)
    import torch
    folder = sys.argv[1]
    n = int(sys.argv[2])
    for i in range(n):
        spec = importlib.util.spec_from_file_location(f"model{i}", f"{folder}/model{i}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        state, xs = torch.load(f"{folder}/in{i}.pt")
        net = getattr(module, "Random")()
        net.load_state_dict(state)
        net.eval()
        with torch.no_grad():
            torch.save(net(*xs), f"{folder}/out{i}.pt")
    assert not any(m.startswith("nnspec") for m in sys.modules)
    """
)


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(network(), shaping_network()), min_size=4, max_size=4))
def test_generated_files_run_in_a_fresh_interpreter(tmp_path, texts):
    expected = []
    for i, text in enumerate(texts):
        spec = nnspec.load(text)
        graph = spec.checked_graph()
        model = spec.build()
        model.eval()
        xs = inputs(graph, {s: 4 for s in symbols(graph)}, batch=2, seed=i)
        with torch.no_grad():
            expected.append(model(*xs))
        (tmp_path / f"model{i}.py").write_text(spec.to_source())
        torch.save((model.state_dict(), xs), tmp_path / f"in{i}.pt")
    (tmp_path / "run.py").write_text(FRESH)
    torch_dir = os.path.dirname(os.path.dirname(torch.__file__))
    proc = subprocess.run([sys.executable, "-I", "-S", str(tmp_path / "run.py"), str(tmp_path), str(len(texts)),
                           torch_dir], check=False, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for i, want in enumerate(expected):
        torch.testing.assert_close(torch.load(tmp_path / f"out{i}.pt"), want)
