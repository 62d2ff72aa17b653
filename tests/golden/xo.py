"""XO, compiled by nnspec from specs/xo.nn.

Inputs: image [1, 9, 9]; outputs: [2] (shapes without the batch dimension).
Parameters: 170. Generated code: edit the spec and compile it again.
"""

from torch import nn


class XO(nn.Module):
    """Network `XO(classes=2)`: image [1, 9, 9] -> [2] (shapes without the batch dimension)."""

    def __init__(self):
        super().__init__()
        self.add_module("0", nn.Conv2d(1, 4, 3, padding=1))
        self.add_module("1", nn.ReLU())
        self.add_module("2", nn.MaxPool2d(2))
        self.add_module("3", nn.Flatten())
        self.add_module("4", nn.Linear(64, 2))

    def forward(self, image):
        """image [batch, 1, 9, 9] -> [batch, 2]"""
        x = getattr(self, "0")(image)  # [4, 9, 9]
        x = getattr(self, "1")(x)  # [4, 9, 9]
        x = getattr(self, "2")(x)  # [4, 4, 4]
        x = getattr(self, "3")(x)  # [64]
        x = getattr(self, "4")(x)  # [2]
        return x
