"""XO, compiled by nnspec from specs/xo.nn.

Inputs: image [1, 9, 9]; outputs: [2] (shapes without the batch dimension).
Parameters: 170. Generated code: edit the spec and compile it again.
"""

from torch import nn


class XO(nn.Sequential):
    """Network `XO(classes=2)`: image [1, 9, 9] -> [2] (shapes without the batch dimension)."""

    def __init__(self, classes=2):
        super().__init__(
            nn.Conv2d(1, 4, 3, padding=1),  # [4, 9, 9]
            nn.ReLU(),  # [4, 9, 9]
            nn.MaxPool2d(2),  # [4, 4, 4]
            nn.Flatten(),  # [64]
            nn.Linear(64, classes),  # [2]
        )
