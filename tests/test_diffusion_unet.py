"""A small diffusion U-Net conditioned on its time step: ``t -> sinusoid`` and an MLP give an
embedding that every residual block projects to its width and adds to each position of its
feature maps (DDPM's). It equals its hand-written twin at image sizes that pooling does not
divide (the decoder resizes to the skip's size), and compiles, scripts and exports."""

from __future__ import annotations

import pytest
import torch
from compile_support import assert_source_and_module_agree, check_scripts_and_exports
from twins.ddpm_unet import DDPMUNet

import nnspec
from nnspec.frontend.fmt import format_source

DDPM = """\
# A small diffusion U-Net in DDPM's manner (Ho et al., 2020): the time step is embedded by
# its sines and cosines and an MLP, and every residual block adds the embedding, projected
# to its width, to each position of its feature maps.
network DDPM(base = 16, tdim = 64) {
  input image: [3, H, W]
  input t: [] int
  let temb = t -> sinusoid(base) -> time1: dense(tdim) -> silu -> time2: dense(tdim)
  let e1 = image -> stem: conv(base, 3, padding=1) -> down1: TimeResBlock(base, temb)
  e1 -> avgpool(2) -> down2: TimeResProject(2 * base, temb) -> mid: TimeResBlock(2 * base, temb)
  resize(e1) -> concat(e1) -> up1: TimeResProject(base, temb)
  head: conv(3, 1)
}

# A residual block that keeps the width, and one that changes it (a 1×1 convolution brings
# its input to the new width).
block TimeResBlock(c, time) {
  residual { body: TimeBody(c, time) }
}

block TimeResProject(c, time) {
  residual { body: TimeBody(c, time) } shortcut { skip: conv(c, 1) }
}

# Two convolutions; between them, the time embedding added to every position.
block TimeBody(c, time) {
  let h = conv1: conv(c, 3, padding=1) -> norm1: groupnorm(4) -> silu
  let e = time -> silu -> temb: dense(c) -> reshape([c, 1, 1])
  h -> add(e) -> conv2: conv(c, 3, padding=1) -> norm2: groupnorm(4) -> silu
}
"""


def test_the_counts_and_the_embeddings_shape():
    graph = nnspec.load(DDPM).checked_graph()
    assert graph.total_params == sum(p.numel() for p in DDPMUNet().parameters()) == 59_971
    assert [str(t) for t in graph.output_types()] == ["[3, H, W]"]
    # a block's embedding, [c, 1, 1], broadcasts over the positions of its maps
    assert [str(n.out) for n in graph.nodes if n.op == "reshape"][:2] == ["[16, 1, 1]", "[32, 1, 1]"]
    assert format_source(DDPM) == DDPM


@pytest.mark.parametrize("size", [(8, 8), (9, 13)])
def test_a_diffusion_unet_equals_its_twin(size):
    twin, model = DDPMUNet(), nnspec.load(DDPM).build()
    assert str(nnspec.load_weights(model, twin.state_dict())) == "loaded 52 tensors by order"
    model.eval(), twin.eval()
    image, t = torch.randn(2, 3, *size), torch.tensor([3, 917])
    with torch.no_grad():
        y = model(image, t)
        assert y.shape == (2, 3, *size)
        assert torch.allclose(y, twin(image, t), atol=1e-5)


def test_the_unet_compiles_scripts_and_exports():
    spec = nnspec.load(DDPM)
    assert_source_and_module_agree(spec)
    check_scripts_and_exports(spec.checked_graph(), spec.build(), {"H": 6, "W": 7})
