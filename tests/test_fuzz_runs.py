"""What `check` accepts runs: the texts of the front end's fuzzing (grammar-derived, mutated,
mutated zoo specs) and specs generated from the newer layer kinds and arguments (and mutated)
that check without errors are built, run forward with the inferred shapes,
compiled to source that gives the same outputs, and trained for one step.

Small example counts keep the suite fast; ``NNSPEC_FUZZ_EXAMPLES=500`` runs a longer search
(the hostile probe of issue #22 ran 65,000).
"""

from __future__ import annotations

import os
import re

import pytest
import torch
from compile_support import as_tuple, assert_source_and_module_agree, inputs, sizes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz import _WORDS, GRAMMAR, SEEDS, _join, _mutate

from nnspec.backends.memory import gradients
from nnspec.core.dims import evaluate
from nnspec.frontend.program import load_program
from nnspec.spec import Spec

EXAMPLES = int(os.environ.get("NNSPEC_FUZZ_EXAMPLES", "25"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: networks larger than this are checked only (the zoo's ResNets would take the suite's minutes)
MAX_PARAMS, MAX_MACS = 500_000, 25_000_000

pytestmark = pytest.mark.usefixtures("one_thread")


def runnable(text: str) -> Spec | None:
    """``text`` as a spec when `check` accepts it and its one network is small enough to run
    here. The text is read as if it were in specs/ (its imports resolve)."""
    spec = Spec(load_program(text, os.path.join(ROOT, "specs", "fuzzed.nn")))
    if any(d.severity == "error" for d in spec.check()) or len(spec.networks) != 1:
        return None
    graph = spec.graph()
    env = sizes(graph)
    return spec if graph.total_params <= MAX_PARAMS and evaluate(graph.total_macs, env) <= MAX_MACS else None


def runs_if_accepted(text: str) -> bool:
    """Build, run, compile and train one step of ``text``'s network if it is :func:`runnable`;
    whether it was run."""
    spec = runnable(text)
    if spec is None:
        return False
    graph = spec.graph()
    env = sizes(graph)
    assert_source_and_module_agree(spec)
    model = spec.build()
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    outs = [y for y in as_tuple(model(*inputs(graph, env, batch=3, seed=2))) if y.is_floating_point()]
    # `nnspec train` refuses a network whose outputs carry no gradient to its weights, by the
    # graph's account of where gradients flow, which must be torch's
    flows = gradients(graph, [])
    assert any(y.requires_grad for y in outs) == any(flows[i] for _, i in graph.outputs), text
    if any(y.requires_grad for y in outs):
        optimizer = torch.optim.SGD(trainable, lr=1e-3)
        sum(y.float().square().mean() for y in outs).backward()
        optimizer.step()
    return True


@RUNS
@given(st.randoms(use_true_random=False))
def test_grammar_derived_texts_that_check_run(rnd):
    runs_if_accepted(_join(GRAMMAR.tokens(rnd)))


@RUNS
@given(st.randoms(use_true_random=False))
def test_mutated_grammar_texts_that_check_run(rnd):
    runs_if_accepted(_join(_mutate(rnd, GRAMMAR.tokens(rnd))))


def shrink(text: str) -> str:
    """A zoo spec made small enough to run in the suite: every number of 32 or more but an image
    size divided by 8 (64 channels become 8, 1000 classes 125), so that widths, not shapes, shrink."""
    return re.sub(r"(?<![\w.])(\d{2,})(?![\w.])",
                  lambda m: str(int(m[1]) // 8) if int(m[1]) >= 32 and int(m[1]) not in (224, 227, 299) else m[1], text)


SMALL_SEEDS = [shrink(s) for s in SEEDS]


@RUNS
@given(st.randoms(use_true_random=False), st.sampled_from(range(len(SMALL_SEEDS))))
def test_mutated_zoo_specs_that_check_run(rnd, k):
    runs_if_accepted("".join(_mutate(rnd, _WORDS.findall(SMALL_SEEDS[k]))))


#: the layer kinds and arguments the language gained after the fuzzing was written, as a spec
#: writes them (a log or a root only of what is positive: NaNs would differ as NaNs)
NEW_SYNTAX = ["scale(0.5)", "scale(-2)", "shift(-1)", "pow(2)", "exp -> log", "pow(2) -> sqrt", "normalize",
              "normalize(dim=1)", "sum(-1)", "sum([1, 2])", "tanh", "tanh(amplitude=1.7159, slope=2 / 3)", "gelu",
              "gelu(approximate=tanh)", "sinusoid(8)", "zeropad(2)", "zeropad(1, 2, dim=1)", "noise", "noise(std=0.1)",
              "resize(x)", "resize(x, mode=nearest)", "add { | identity | noise }", "mul { | identity | scale(2) }",
              "positions -> embedding(16, 4)", "dense(4)", "relu", "flatten", "conv(4, 3, padding=1)", "maxpool(2)",
              "upsample(2)", "residual { pow(2) -> scale(0.5) }", "each { tanh -> shift(1) }", "concat { | exp | pow(2) }"]
SHAPES = ["[3, 8, 8]", "[5, 4]", "[T, 6]", "[4]", "[3, H, W]", "[]", "[2, T]"]


@RUNS
@given(st.sampled_from(SHAPES), st.lists(st.sampled_from(NEW_SYNTAX), min_size=1, max_size=5))
def test_generated_specs_with_the_new_syntax_that_check_run(shape, items):
    runs_if_accepted(f"network G {{\n  input x: {shape}\n  {' -> '.join(items)}\n}}\n")


@RUNS
@given(st.randoms(use_true_random=False), st.sampled_from(SHAPES), st.lists(st.sampled_from(NEW_SYNTAX), min_size=1, max_size=5))
def test_mutated_specs_with_the_new_syntax_that_check_run(rnd, shape, items):
    text = f"network G {{\n  input x: {shape}\n  {' -> '.join(items)}\n}}\n"
    runs_if_accepted("".join(_mutate(rnd, _WORDS.findall(text))))


def test_the_mutations_start_from_specs_that_run():
    """Most shrunk zoo specs are small enough to run (the mutations of the others are checked
    only); two of them are run here as the fuzzed texts are."""
    assert sum(runnable(s) is not None for s in SMALL_SEEDS) >= 8
    assert runs_if_accepted(next(small for small, s in zip(SMALL_SEEDS, SEEDS) if "network XO" in s))
    assert runs_if_accepted(next(small for small, s in zip(SMALL_SEEDS, SEEDS) if "lstm" in s))
