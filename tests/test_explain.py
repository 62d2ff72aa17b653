"""`nnspec explain`: Grad-CAM and saliency overlays, feature maps and filters as PNGs of the
documented sizes; Grad-CAM points at the object on images where its place is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from shape_images import CLASSES, draw

import nnspec
from nnspec.backends.codegen import module_paths
from nnspec.cli import main
from nnspec.train.assess import restore
from nnspec.train.explain import ExplainError, explain, gradcam, image_layers

pytestmark = pytest.mark.usefixtures("one_thread")


def size_of(path) -> tuple[int, int]:
    with Image.open(path) as im:
        assert im.format == "PNG"
        return im.size


@pytest.mark.parametrize("method,layer,size", [
    ("gradcam", None, (800, 440)), ("saliency", None, (800, 440)),
    ("features", "conv1", (300, 350)),  # 8 maps: 3 columns, 3 rows of 100 pixels, a 50-pixel title
    ("features", "features", (400, 450)),  # 16 maps: 4 × 4
    ("filters", None, (300, 350)),  # conv1's 8 filters
])
def test_explain_writes_a_png_of_the_documented_size(shapes_run, tmp_path, method, layer, size):
    out = tmp_path / f"{method}.png"
    image = str(shapes_run["files"]["square"][0][0])
    args = ["explain", shapes_run["spec"], "-w", shapes_run["weights"], "-m", method, "-o", str(out)]
    args += ["-i", image] if method != "filters" else []
    args += ["--layer", layer] if layer else []
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert size_of(out) == size
    shown = {"gradcam": "gradcam at 5", "saliency": "saliency", "features": f"features at {layer}",
             "filters": "filters at conv1"}[method]
    assert result.stdout.startswith(f"wrote {out} ({shown}, {size[0]}×{size[1]})")


def test_grad_cam_peaks_inside_the_object(shapes_run):
    _, graph, model = restore(nnspec.load(shapes_run["spec"]), shapes_run["weights"])
    model.requires_grad_(False)
    assert image_layers(graph, model)[-1] == "5"  # the relu after `features`: the last feature maps
    layer = module_paths(graph)["5"]  # its module: named after its kind in the generated class
    assert layer.startswith("relu")
    rng = np.random.default_rng(123)  # images the network has not seen
    for kind in CLASSES:
        for _ in range(10):
            image, (top, left, bottom, right) = draw(kind, rng)
            x = torch.from_numpy(image.transpose(2, 0, 1).astype(np.float32) / 255)[None]
            heat, _, _ = gradcam(model, x, layer, CLASSES.index(kind))
            assert heat.shape == (32, 32) and heat.min() == 0 and heat.max() == 1
            y, x_ = np.unravel_index(heat.argmax(), heat.shape)
            # inside the shape's box (grown by one pixel: upsampling a 16 × 16 map blurs its edge)
            assert top - 1 <= y <= bottom and left - 1 <= x_ <= right, (kind, (y, x_), (top, left, bottom, right))


def test_explain_errors_name_what_is_wrong(shapes_run, sentiment_run, tmp_path):
    spec = nnspec.load(shapes_run["spec"])
    image = str(shapes_run["files"]["ring"][0][0])
    with pytest.raises(ExplainError) as e:
        explain(spec, shapes_run["weights"], image, "gradcam", str(tmp_path / "a.png"), layer="feature")
    assert e.value.message == "`Shapes` has no layer `feature`" and e.value.hint == "did you mean `features`?"
    with pytest.raises(ExplainError) as e:
        explain(spec, shapes_run["weights"], image, "gradcam", str(tmp_path / "a.png"), cls="triangle")
    assert e.value.message == "no class `triangle`; the classes are cross, ring, square"
    with pytest.raises(ExplainError, match=r"`head` gives \[3\], not feature maps"):
        explain(spec, shapes_run["weights"], image, "features", str(tmp_path / "a.png"), layer="head")
    runner = CliRunner()
    text = runner.invoke(main, ["explain", sentiment_run["spec"], "-w", sentiment_run["weights"], "-i", image,
                                "-o", str(tmp_path / "b.png")])
    assert text.exit_code == 1
    assert text.stderr.startswith("error: explain --method gradcam needs one image input [1 or 3, H, W]; "
                                  "the spec declares tokens: [T]")
    usage = runner.invoke(main, ["explain", shapes_run["spec"], "-w", shapes_run["weights"], "-o", "x.png"])
    assert usage.exit_code == 2 and "--method gradcam needs --input IMAGE" in usage.stderr
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()


@pytest.fixture(scope="module")
def xo_weights(tmp_path_factory):
    from nnspec.train.loop import fit

    out = tmp_path_factory.mktemp("xo")
    fit(nnspec.load("specs/xo.nn"), None, {}, {"data": "xo?n=100", "epochs": 1}, str(out), live=False)
    return str(out / "best.pt")


@pytest.mark.parametrize("method, size", [
    ("filters", (250, 250)),  # 4 filters: 2 × 2 cells of 100 pixels, widened to "0: 4 filters 3×3 (input channel 0)"
    ("features", (200, 250)),  # "0: 4 feature maps 9×9" fits over the 2 columns
])
def test_the_title_of_a_small_grid_fits_in_the_picture(xo_weights, tmp_path, method, size):
    image = tmp_path / "x.png"
    Image.fromarray((np.eye(9) * 255).astype(np.uint8)).save(image)
    out = tmp_path / "grid.png"
    result = CliRunner().invoke(main, ["explain", "specs/xo.nn", "-w", xo_weights, "-m", method, "-o", str(out),
                                       "-i", str(image)])
    assert result.exit_code == 0, result.output
    assert size_of(out) == size
    with Image.open(out) as im:
        band = np.asarray(im.convert("L"))[:50]  # the title band
    ink = np.nonzero((band < 128).any(axis=0))[0]
    assert len(ink) > 100  # the title is drawn...
    assert ink.min() >= 4 and ink.max() <= size[0] - 5  # ...whole: clear of both sides
    assert abs((ink.min() + ink.max()) / 2 - size[0] / 2) <= 3  # centred
