"""A hand-written PyTorch dual encoder in CLIP's manner (Radford et al., 2021), the reference
that the spec of ``tests/test_across_batch.py`` is measured against: an image encoder and a
text encoder each end in an embedding, both are L2-normalised, and every image of the batch
is scored against every text by their dot product, scaled by ``exp(logit_scale)``, a learned
scalar that starts at log(1 / 0.07)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class TextEncoder(nn.Module):
    """Token embeddings, averaged over the sequence, projected to the shared width."""

    def __init__(self, vocab: int, width: int, dim: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.proj = nn.Linear(width, dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.proj(self.embed(ids).mean(1))


class ImageEncoder(nn.Module):
    """A convolution, globally pooled, projected to the shared width."""

    def __init__(self, width: int, dim: int):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.proj = nn.Linear(width, dim)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.proj(torch.relu(self.conv(image)).mean((2, 3)))


class CLIP(nn.Module):
    def __init__(self, vocab: int = 50, dim: int = 8):
        super().__init__()
        self.text_encoder = TextEncoder(vocab, 16, dim)
        self.image_encoder = ImageEncoder(12, dim)
        self.logit_scale = nn.Parameter(torch.tensor([math.log(1 / 0.07)]))

    def forward(self, image: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """The logits of each image for each text of the batch, ``[B, B]``."""
        texts = F.normalize(self.text_encoder(text), dim=-1)
        images = F.normalize(self.image_encoder(image), dim=-1)
        return self.logit_scale.exp() * (images @ texts.t())
