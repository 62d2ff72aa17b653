"""What the after-training tests share: a generated image folder whose answer is known, and a
small CNN trained on it once per session.

Each image is dark noise with one bright shape (a filled square, a ring or a cross) at a random
place; the class is the shape. Its bounding box is returned too, so that a heat map can be
checked to point at the object.
"""

from __future__ import annotations

import numpy as np

CLASSES = ("cross", "ring", "square")
SIZE = 32

SPEC = """
network Shapes(classes = 3) {
  input image: [3, 32, 32]

  conv1: conv(8, 3, padding=1) -> batchnorm -> relu -> maxpool(2)
  conv2: conv(16, 3, padding=1) -> batchnorm -> relu
  features: conv(16, 3, padding=1) -> relu
  globalavgpool
  head: dense(classes)
}
"""


def draw(kind: str, rng: np.random.Generator, size: int = SIZE) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """One uint8 image ``[size, size, 3]`` with a shape of ``kind``, and its box (top, left, bottom, right)."""
    image = rng.integers(0, 40, (size, size, 3)).astype(np.uint8)
    side = int(rng.integers(9, 13))
    top, left = (int(v) for v in rng.integers(0, size - side + 1, 2))
    mask = np.zeros((side, side), bool)
    if kind == "square":
        mask[:] = True
    elif kind == "ring":
        yy, xx = np.mgrid[:side, :side] - (side - 1) / 2
        r = np.hypot(yy, xx)
        mask = (r <= side / 2) & (r >= side / 2 - 2.5)
    else:
        mask[side // 2 - 1: side // 2 + 2, :] = True
        mask[:, side // 2 - 1: side // 2 + 2] = True
    colour = rng.integers(180, 256, 3).astype(np.uint8)
    image[top:top + side, left:left + side][mask] = colour
    return image, (top, left, top + side, left + side)


def write_folder(directory, per_class: int = 40, seed: int = 0, classes=CLASSES) -> dict[str, list]:
    """``directory/CLASS/i.png`` for each class; returns each class's file paths and boxes."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    out: dict[str, list] = {}
    for kind in classes:
        (directory / kind).mkdir(parents=True, exist_ok=True)
        out[kind] = []
        for i in range(per_class):
            image, box = draw(kind, rng)
            path = directory / kind / f"{i:03d}.png"
            Image.fromarray(image).save(path)
            out[kind].append((path, box))
    return out
