"""``nnspec summary --batch-size B``: the memory of a training step, computed statically from
the IR (:mod:`nnspec.backends.memory`), held to what PyTorch keeps on this machine's CPU.

The measure: the storages the forward pass saves for the backward pass, each once (caught by
``torch.autograd.graph.saved_tensors_hooks``; parameters and buffers apart), and the bytes of
the parameters, buffers, gradients and optimizer state after one step.
"""

from __future__ import annotations

import os
import shutil

import pytest

from nnspec import load
from nnspec.backends.memory import training_memory
from nnspec.core.dims import evaluate
from nnspec.core.layers import user_kinds

torch = pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(spec, batch: int, steps: int, optimizer: str, amp: bool = False, **params) -> dict:
    """What one training step of ``spec`` keeps on the CPU, in bytes; ``amp``: under bfloat16
    autocast (its 16-bit copies of the weights are kept values, as the static figure counts them)."""
    torch.manual_seed(0)
    graph = spec.graph(**params)
    model = spec.build(**params).train()
    xs = []
    for i in graph.inputs:
        t = graph.nodes[i].out
        shape = (batch, *(d if isinstance(d, int) else steps for d in t.shape))
        # token ids from 1: no padding, every sequence is full
        xs.append(torch.randint(1, 50, shape) if t.dtype == "int" else torch.randn(shape))
    own = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    kept: dict[int, int] = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in own:
            kept[storage.data_ptr()] = storage.nbytes()
        return t

    opt = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}.get(optimizer)
    opt = opt(model.parameters()) if opt else torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), \
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
        out = model(*xs)
    (out if torch.is_tensor(out) else sum(o.sum() for o in out)).sum().backward()
    opt.step()
    return {
        "params": sum(t.nbytes for t in [*model.parameters(), *model.buffers()]),
        "grads": sum(p.grad.nbytes for p in model.parameters() if p.grad is not None),
        "optimizer": sum(t.nbytes for s in opt.state.values() for t in s.values() if torch.is_tensor(t) and t.dim()),
        "kept": sum(kept.values()),
    }


def small_resnet18(tmp_path):
    """ResNet-18 at a 64×64 input (the zoo's is 224×224)."""
    shutil.copytree(os.path.join(ROOT, "specs", "blocks"), tmp_path / "blocks")
    with open(os.path.join(ROOT, "specs", "resnet18.nn"), encoding="utf-8") as fh:
        text = fh.read().replace("[3, 224, 224]", "[3, 64, 64]").replace("expect [512, 7, 7]", "expect [512, 2, 2]")
    (tmp_path / "resnet18.nn").write_text(text, encoding="utf-8")
    return str(tmp_path / "resnet18.nn")


CASES = [  # spec, batch, sequence length, optimizer, network parameters
    ("xo.nn", 8, 0, "adam", {}),
    ("fashion_mnist.nn", 8, 0, "sgd", {}),
    ("resnet18", 2, 0, "adamw", {"classes": 10}),
    ("sentiment_lstm.nn", 8, 32, "adam", {"vocab": 500}),
    ("transformer_classifier.nn", 4, 0, "adamw", {"vocab": 500, "length": 48, "dim": 64, "layers": 2}),
    ("video_lstm.nn", 2, 4, "adam", {"hidden": 64}),  # a CNN-LSTM: `each` runs its body per frame
    ("mobilenet_v3_large.nn", 1, 0, "sgd", {}),  # hardswish, squeeze-and-excitation products
]


# PyTorch's CPU LSTM does not run under bfloat16 autocast (oneDNN has no such primitive)
AMP_CASES = [c for c in CASES if c[0] in ("xo.nn", "fashion_mnist.nn", "resnet18")]


@pytest.fixture(autouse=True)
def one_thread():
    """Small steps run fastest on one thread, and many fight the other tests' for the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("amp", [False, True], ids=["float32", "bf16"])
@pytest.mark.parametrize("case", CASES, ids=[c[0].split(".")[0] for c in CASES])
def test_the_static_figures_are_within_15_percent_of_pytorchs(case, amp, tmp_path):
    if amp and case not in AMP_CASES:
        pytest.skip("no CPU autocast for this network's layers")
    name, batch, length, optimizer, params = case
    path = small_resnet18(tmp_path) if name == "resnet18" else os.path.join(ROOT, "specs", name)
    spec = load(path)
    static = training_memory(spec.graph(**params), batch, optimizer, amp=amp)
    real = measure(spec, batch, length, optimizer, amp=amp, **params)
    env = {"T": length}
    kept = evaluate(static.kept_batch, env) if not isinstance(static.kept_batch, int) else static.kept_batch
    assert (static.params, static.grads, static.optimizer_state) == (real["params"], real["grads"], real["optimizer"])
    assert abs(kept - real["kept"]) <= 0.15 * real["kept"], (kept, real["kept"])
    total = static.params + static.grads + static.optimizer_state + kept
    assert abs(total - sum(real.values())) <= 0.15 * sum(real.values())


def test_the_figures_of_xo_by_hand():
    """conv keeps its input [1, 9, 9] (324 B); relu its output [4, 9, 9] (1,296 B), which
    maxpool reads too; maxpool an int64 argmax per output value (64 · 8 B) and its output
    [4, 4, 4], which dense reads through flatten's view (256 B)."""
    m = training_memory(load(os.path.join(ROOT, "specs", "xo.nn")).graph(), batch=32)
    g = m.kept
    assert [g[i] for i in range(6)] == [324, 0, 1296, 512 + 256, 0, 0]
    assert (m.kept_per_sample, m.kept_batch) == (2388, 32 * 2388)
    assert (m.params, m.grads, m.optimizer_state) == (680, 680, 1360)
    assert m.total == 680 + 680 + 1360 + 32 * 2388


def test_frozen_layers_at_the_start_keep_nothing(tmp_path):
    """Freezing the first conv: no gradient reaches it, so it keeps no input; sgd without
    momentum has no state."""
    spec = load("network N {\n input x: [1, 8, 8]\n c: conv(4, 3) -> relu\n flatten -> d: dense(2)\n"
                " train { optimizer = sgd\n momentum = 0.0 }\n}")
    m = training_memory(spec.graph(), batch=2, freeze=["c"])
    assert m.kept[0] == 0 and m.kept[2] == 4 * 4 * 6 * 6  # relu keeps its output: dense reads it
    assert (m.grads, m.optimizer_state) == (4 * (4 * 36 * 2 + 2), 0)


# the LSTM's oneDNN workspace is padded at toy sizes (5 times its rule at hidden 5): it is held
# to the rule at real sizes by the zoo cases above
FLOAT_KINDS = sorted(k for k, c in user_kinds().items() if c.example and "int" not in c.example[0] and k != "lstm")


@pytest.mark.parametrize("kind", FLOAT_KINDS)
def test_each_kind_keeps_what_it_declares(kind):
    """Every kind's example, after a learned value is added to the input (so that a gradient
    reaches every layer), keeps exactly what PyTorch saves."""
    decl, chain = user_kinds()[kind].example
    decl = decl.replace("T", "5")
    spec = load(f"network K {{\n  input x: {decl}\n  add {{ | identity | param({decl}) }}\n  {chain}\n}}")
    static = training_memory(spec.graph(), 3, "adam").kept_batch
    real = measure(spec, 3, 5, "adam")["kept"]
    assert static == real
