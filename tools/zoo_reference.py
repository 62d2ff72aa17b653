"""Reference figures for the zoo: parameter-shape fixtures, and outputs checked against the
reference implementations (torchvision for the convnets, Keras applications for Xception).

The references are not dependencies of nnspec. Run this script with a separate interpreter
that has them, plus nnspec's own requirements, e.g.::

    python3 -m venv ../tvenv
    ../tvenv/bin/pip install torch==2.14.1 torchvision==0.29.1 keras==3.15.1 lark pydantic click rich
    ../tvenv/bin/python tools/zoo_reference.py            # writes tests/fixtures/zoo/<spec>.json
    ../tvenv/bin/python tools/zoo_reference.py --verify   # max |ours - reference| per network

A fixture lists the reference's ``state_dict`` (parameters and buffers) in order, as
``[name, shape]`` pairs. Keras weights are listed in Keras' layer order with PyTorch's layouts
(a conv kernel ``[out, in, kh, kw]``, a dense kernel ``[out, in]``); Keras keeps no count of
batches seen, so its fixture has no ``num_batches_tracked``.

``--verify`` builds each spec with nnspec (with the network parameters its entry gives: DeepLabV3
at 97×113), loads the reference's weights into it with
``nnspec.load_weights`` (by name where the names agree, else by order and shape), after giving
the batch-norm statistics random values so that they matter, runs both on the same random
input in eval mode, and prints the largest difference of the logits and of some feature maps
(relative to the largest value of each): global pooling before the classifier would hide a
window shifted by one pixel, so the feature maps are compared where such a shift could arise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "zoo"
sys.path.insert(0, str(ROOT))


@dataclass
class Reference:
    """One zoo network: its spec, how to build the reference, and where it comes from."""

    spec: str
    source: str  # the call that builds the reference, for the fixture's record
    build: Callable  # () -> reference model
    tensors: Callable  # model -> [(name, torch tensor in PyTorch layout)] in order
    forward: Callable  # (model, x [N, C, H, W], names of feature modules) -> (feature maps, logits)
    randomise: Callable  # (model, generator): random batch-norm statistics, so that they matter
    features: list[tuple[str, str]]  # feature maps to compare: (our module, the reference's module or layer)
    params: dict | None = None  # network parameters to build the spec with for --verify (an input size)


def torchvision_model(factory: str, **kwargs) -> Callable:
    def build():
        import torchvision

        build = torchvision.models
        for name in factory.split("."):  # "segmentation.deeplabv3_resnet50"
            build = getattr(build, name)
        return build(**kwargs).eval()

    return build


def torch_tensors(model) -> list:
    return list(model.state_dict().items())


def torch_forward(model, x, features: list[str]):
    seen = {}

    def keep(name):
        return lambda module, inputs, out: seen.__setitem__(name, out)

    hooks = [model.get_submodule(name).register_forward_hook(keep(name)) for name in features]
    try:
        logits = model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return [seen[name] for name in features], logits


def torch_segmentation_forward(model, x, features: list[str]):
    """torchvision's segmentation models return a dict: their scores are its "out"."""
    maps, result = torch_forward(model, x, features)
    return maps, result["out"]


def torch_randomise_statistics(model, gen) -> None:
    import torch

    for name, t in model.state_dict().items():
        if name.endswith("running_mean"):
            t.copy_(torch.rand(t.shape, generator=gen) - 0.5)
        elif name.endswith("running_var"):
            t.copy_(torch.rand(t.shape, generator=gen) + 0.5)


def torch_randomise_constants(model, gen) -> None:
    """Random batch-norm statistics, and random values for every tensor initialised to a
    constant (a zero head, a zero class token, ConvNeXt's 1e-6 layer scale, norms' ones), so
    that every one of them matters to the outputs compared."""
    import torch

    torch_randomise_statistics(model, gen)
    for name, t in model.state_dict().items():
        if t.is_floating_point() and not name.endswith(("running_mean", "running_var")) and bool((t == t.flatten()[0]).all()):
            t.copy_(t + 0.1 * torch.randn(t.shape, generator=gen))


def keras_xception():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    if keras.backend.backend() != "torch":
        raise SystemExit("Keras must run on its torch backend here: set KERAS_BACKEND=torch")
    keras.utils.set_random_seed(0)  # Keras draws its initial weights from its own generator
    # No top activation: compare logits, as the spec returns them.
    return keras.applications.Xception(weights=None, classifier_activation=None)


def keras_layout(name: str, w):
    """A Keras weight in PyTorch's layout: kernels [kh, kw, in, out] -> [out, in, kh, kw]."""
    if w.dim() == 4:
        # depthwise kernels are [kh, kw, in, 1]; PyTorch's grouped conv wants [in, 1, kh, kw]
        return w.permute(2, 3, 0, 1) if name.endswith("depthwise_kernel") else w.permute(3, 2, 0, 1)
    if w.dim() == 2:
        return w.t()
    return w


def keras_tensors(model) -> list:
    import keras
    import torch

    return [(w.path, keras_layout(w.path, torch.as_tensor(keras.ops.convert_to_numpy(w)))) for w in model.weights]


def keras_forward(model, x, features: list[str]):
    import keras
    import torch

    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in features] + [model.output])
    outs = probe(x.permute(0, 2, 3, 1), training=False)  # Keras convnets are channels-last
    outs = [torch.as_tensor(keras.ops.convert_to_numpy(t)) for t in outs]
    return [t.permute(0, 3, 1, 2) for t in outs[:-1]], outs[-1]


def keras_randomise_statistics(model, gen) -> None:
    import torch

    for w in model.weights:
        if w.path.endswith(("moving_mean", "moving_variance")):
            value = torch.rand(tuple(w.shape), generator=gen) + (0.5 if w.path.endswith("variance") else -0.5)
            w.assign(value.numpy())


ZOO = {
    "alexnet": Reference("alexnet.nn", "torchvision.models.alexnet()", torchvision_model("alexnet"),
                         torch_tensors, torch_forward, torch_randomise_statistics, [("features", "features")]),
    "vgg16": Reference("vgg16.nn", "torchvision.models.vgg16()", torchvision_model("vgg16"),
                       torch_tensors, torch_forward, torch_randomise_statistics, [("features", "features")]),
    "googlenet": Reference("googlenet.nn", "torchvision.models.GoogLeNet(aux_logits=False, init_weights=False)",
                           torchvision_model("GoogLeNet", aux_logits=False, init_weights=False),
                           torch_tensors, torch_forward, torch_randomise_statistics, [("inception5b", "inception5b")]),
    "resnet18": Reference("resnet18.nn", "torchvision.models.resnet18()", torchvision_model("resnet18"),
                          torch_tensors, torch_forward, torch_randomise_statistics, [("layer4", "layer4")]),
    "resnet50": Reference("resnet50.nn", "torchvision.models.resnet50()", torchvision_model("resnet50"),
                          torch_tensors, torch_forward, torch_randomise_statistics, [("layer4", "layer4")]),
    "resnet152": Reference("resnet152.nn", "torchvision.models.resnet152()", torchvision_model("resnet152"),
                           torch_tensors, torch_forward, torch_randomise_statistics, [("layer4", "layer4")]),
    "vit_b_16": Reference("vit_b_16.nn", "torchvision.models.vit_b_16()", torchvision_model("vit_b_16"),
                          torch_tensors, torch_forward, torch_randomise_constants, [("encoder.ln", "encoder.ln")]),
    "convnext_tiny": Reference("convnext_tiny.nn", "torchvision.models.convnext_tiny()",
                               torchvision_model("convnext_tiny"), torch_tensors, torch_forward,
                               torch_randomise_constants, [("19", "features.6")]),
    "mobilenet_v3_large": Reference("mobilenet_v3_large.nn", "torchvision.models.mobilenet_v3_large()",
                                    torchvision_model("mobilenet_v3_large"), torch_tensors, torch_forward,
                                    torch_randomise_constants, [("16", "features")]),
    "efficientnet_b0": Reference("efficientnet_b0.nn", "torchvision.models.efficientnet_b0()",
                                 torchvision_model("efficientnet_b0"), torch_tensors, torch_forward,
                                 torch_randomise_constants, [("17", "features")]),
    "shufflenet_v2_x1_0": Reference("shufflenet_v2_x1_0.nn", "torchvision.models.shufflenet_v2_x1_0()",
                                    torchvision_model("shufflenet_v2_x1_0"), torch_tensors, torch_forward,
                                    torch_randomise_constants, [("stage4", "stage4")]),
    "swin_t": Reference("swin_t.nn", "torchvision.models.swin_t()", torchvision_model("swin_t"), torch_tensors,
                        torch_forward, torch_randomise_constants, [("features", "features")]),
    # At 97×113, which no stride of the network divides: the features are 13×15, and the
    # scores are resized back to 97×113.
    "deeplabv3_resnet50": Reference("deeplabv3_resnet50.nn",
                                    "torchvision.models.segmentation.deeplabv3_resnet50(num_classes=21, aux_loss=False)",
                                    torchvision_model("segmentation.deeplabv3_resnet50", weights=None,
                                                      weights_backbone=None, num_classes=21, aux_loss=False),
                                    torch_tensors, torch_segmentation_forward, torch_randomise_constants,
                                    [("backbone.layer4", "backbone.layer4"), ("classifier.0", "classifier.0")],
                                    params={"height": 97, "width": 113}),
    "xception": Reference("xception.nn", "keras.applications.Xception(weights=None)", keras_xception,
                          keras_tensors, keras_forward, keras_randomise_statistics,
                          # Keras pools with "same" padding: check each pool and the last map
                          [*((f"block{i}.pool", f"block{i}_pool") for i in (2, 3, 4, 13)),
                           ("block14_sepconv2", "block14_sepconv2_bn")]),
}


def versions(source: str) -> dict:
    """torch's version and that of the library the reference comes from."""
    import torch

    library = source.split(".")[0]
    return {"torch": torch.__version__, library: __import__(library).__version__}


def write_fixture(key: str) -> Path:
    ref = ZOO[key]
    model = ref.build()
    tensors = [[name, list(t.shape)] for name, t in ref.tensors(model)]
    record = {
        "spec": ref.spec,
        "reference": ref.source,
        "versions": versions(ref.source),
        "tensors": tensors,
    }
    # One tensor per line, so that a change reads well in a diff.
    lines = ",\n    ".join(json.dumps(t) for t in tensors)
    head = json.dumps({k: v for k, v in record.items() if k != "tensors"}, indent=2)[:-2]
    text = f'{head},\n  "tensors": [\n    {lines}\n  ]\n}}\n'
    assert json.loads(text) == record
    path = FIXTURES / f"{key}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as fh:
        fh.write(text)
    os.chmod(fh.name, 0o644)
    os.replace(fh.name, path)
    return path


def verify(key: str, seed: int = 0) -> dict:
    """Our outputs against the reference's on one random input, with the reference's weights:
    the largest absolute difference of the logits, the largest reference logit, and the
    largest difference in a feature map relative to that map's largest value."""
    import torch

    import nnspec

    ref = ZOO[key]
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = ref.build()
    ref.randomise(model, gen)
    spec = nnspec.load(ROOT / "specs" / ref.spec)
    graph = spec.checked_graph(**(ref.params or {}))
    ours = spec.build(**(ref.params or {})).eval()
    report = nnspec.load_weights(ours, dict(ref.tensors(model)))
    x = torch.randn((2, *graph.nodes[graph.inputs[0]].out.shape), generator=gen)
    with torch.no_grad():
        want_maps, want = ref.forward(model, x, [theirs for _, theirs in ref.features])
        got_maps, got = torch_forward(ours, x, [mine for mine, _ in ref.features])
    for (name, _), a, b in zip([*ref.features, ("output", "")], [*got_maps, got], [*want_maps, want]):
        if a.shape != b.shape:
            raise SystemExit(f"{key}: our {name} is {tuple(a.shape)}, the reference's {tuple(b.shape)}")
    relative = max(((a - b).abs().max() / b.abs().max()).item() for a, b in zip(got_maps, want_maps))
    return {
        "loaded": str(report),
        "logits": (got - want).abs().max().item(),
        "scale": want.abs().max().item(),
        "relative": relative,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("networks", nargs="*", metavar="NETWORK", help=f"some of {', '.join(ZOO)} (default: all)")
    parser.add_argument("--verify", action="store_true", help="compare outputs instead of writing fixtures")
    args = parser.parse_args(argv)
    unknown = [n for n in args.networks if n not in ZOO]
    if unknown:
        parser.error(f"unknown network {', '.join(unknown)}; choose from {', '.join(ZOO)}")
    for key in args.networks or list(ZOO):
        if args.verify:
            r = verify(key)
            print(f"{key:18s} {r['loaded']}; logits: max |ours - reference| {r['logits']:.3g} (largest "
                  f"{r['scale']:.3g}); feature maps: {r['relative']:.3g} of the largest value", flush=True)
        else:
            print(f"wrote {write_fixture(key).relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
