"""Image pixels on their way into a network: kept as uint8, scaled and normalised per batch on
the device, and (in training, with ``augment``) randomly cropped and flipped there too.

``normalize`` is ``none`` (pixels in [0, 1]), ``imagenet`` (the ImageNet channel means and
standard deviations, for RGB inputs: what torchvision's pretrained weights expect) or
``MEAN,STD`` (one pair for every channel). Torch is imported only to transform tensors, so
``nnspec check`` validates the setting without it. It applies to every image input ``[C, H, W]``, from
any source, after uint8 pixels are scaled to [0, 1]; a checkpoint keeps it, so ``evaluate``,
``predict`` and ``explain`` see inputs exactly as training did.
"""

from __future__ import annotations

import math

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def parse(setting: str, channels: int) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """``(means, stds)`` per channel for a ``normalize`` setting, None for ``none``; ValueError
    naming what is wrong.

    >>> parse("0.5,0.25", 3)
    ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    """
    if setting == "none":
        return None
    if setting == "imagenet":
        if channels != 3:
            raise ValueError(f"`normalize = imagenet` is for RGB inputs [3, H, W]; this one has {channels} channel(s)")
        return IMAGENET
    try:
        mean, std = (float(v) for v in setting.split(","))
    except ValueError:
        raise ValueError(f"`normalize` takes none, imagenet or MEAN,STD (e.g. 0.5,0.25), got {setting!r}") from None
    if not (math.isfinite(mean) and math.isfinite(std) and std > 0):
        raise ValueError(f"`normalize` needs a finite mean and a positive standard deviation, got {setting!r}")
    return (mean,) * channels, (std,) * channels


def prepare_batch(x, stats):
    """A batch of an image input as float32: uint8 scaled to [0, 1], then normalised by ``stats``
    (:func:`parse`); other inputs pass unchanged."""
    import torch

    if x.dtype == torch.uint8:
        x = x.float().div_(255.0)
    if stats is None or x.dim() != 4:
        return x
    mean = torch.tensor(stats[0], device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
    std = torch.tensor(stats[1], device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
    return (x - mean) / std


# The largest rotation of ``rotate`` (degrees, either way) and the noise of ``noise`` (a share
# of the batch's standard deviation).
MAX_DEGREES = 15.0
NOISE = 0.05


def augment(x, generator=None, kinds=("crop", "flip")):
    """Random changes of a float image batch ``[B, C, H, W]``, each image its own, on the
    batch's device (no per-sample Python work); ``kinds`` are some of

    - ``crop``: a random resized crop (8–100 % of the area, aspect 3:4 to 4:3),
    - ``flip``: a horizontal flip, half of the time (wrong for digits and text),
    - ``rotate``: a rotation of up to ``MAX_DEGREES`` either way,

    resampled back to ``H × W`` in one ``grid_sample``, and ``noise``: Gaussian noise of
    ``NOISE`` times the batch's standard deviation. ``generator`` draws them (default: torch's
    global one, which the run seeds).
    """
    import torch
    import torch.nn.functional as F

    b = x.shape[0]
    rand = lambda: torch.rand(b, generator=generator, device="cpu")
    sx, sy, tx, ty = torch.ones(b), torch.ones(b), torch.zeros(b), torch.zeros(b)
    if "crop" in kinds:
        area = 0.08 + 0.92 * rand()
        ratio = torch.exp(math.log(3 / 4) + (math.log(4 / 3) - math.log(3 / 4)) * rand())
        sx = torch.sqrt(area * ratio).clamp(max=1.0)
        sy = torch.sqrt(area / ratio).clamp(max=1.0)
        tx = (2 * rand() - 1) * (1 - sx)
        ty = (2 * rand() - 1) * (1 - sy)
    flip = torch.where(rand() < 0.5, -1.0, 1.0) if "flip" in kinds else torch.ones(b)
    if {"crop", "flip", "rotate"} & set(kinds):
        angle = (2 * rand() - 1) * math.radians(MAX_DEGREES) if "rotate" in kinds else torch.zeros(b)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.zeros(b, 2, 3)
        # the rotation times the crop's scale (and the flip's sign) then the crop's shift
        theta[:, 0, 0], theta[:, 0, 1], theta[:, 0, 2] = cos * sx * flip, -sin * sy, tx
        theta[:, 1, 0], theta[:, 1, 1], theta[:, 1, 2] = sin * sx * flip, cos * sy, ty
        grid = F.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    if "noise" in kinds:
        noise = torch.randn(x.shape, generator=generator, device="cpu" if generator is not None else x.device)
        x = x + NOISE * x.std() * noise.to(x.device, x.dtype)
    return x
