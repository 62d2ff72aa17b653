"""AlexNet, compiled by nnspec from specs/alexnet.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 61,100,840. Generated code: edit the spec and compile it again.
"""

from torch import nn


class Features(nn.Sequential):
    """Block `Features`; instances: `features`."""

    def __init__(self):
        super().__init__(
            nn.Conv2d(3, 64, 11, stride=4, padding=2),  # [64, 55, 55]
            nn.ReLU(),  # [64, 55, 55]
            nn.MaxPool2d(3, stride=2),  # [64, 27, 27]
            nn.Conv2d(64, 192, 5, padding=2),  # [192, 27, 27]
            nn.ReLU(),  # [192, 27, 27]
            nn.MaxPool2d(3, stride=2),  # [192, 13, 13]
            nn.Conv2d(192, 384, 3, padding=1),  # [384, 13, 13]
            nn.ReLU(),  # [384, 13, 13]
            nn.Conv2d(384, 256, 3, padding=1),  # [256, 13, 13]
            nn.ReLU(),  # [256, 13, 13]
            nn.Conv2d(256, 256, 3, padding=1),  # [256, 13, 13]
            nn.ReLU(),  # [256, 13, 13]
            nn.MaxPool2d(3, stride=2),  # [256, 6, 6]
        )


class Classifier(nn.Sequential):
    """Block `Classifier(classes)` on [9216]; instances: `classifier`."""

    def __init__(self, classes):
        super().__init__(
            nn.Dropout(),  # [9216]
            nn.Linear(9216, 4096),  # [4096]
            nn.ReLU(),  # [4096]
            nn.Dropout(),  # [4096]
            nn.Linear(4096, 4096),  # [4096]
            nn.ReLU(),  # [4096]
            nn.Linear(4096, classes),  # [classes]
        )


class AlexNet(nn.Module):
    """Network `AlexNet(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.features = Features()
        self.avgpool = nn.AdaptiveAvgPool2d(6)
        self.flatten = nn.Flatten()
        self.classifier = Classifier(classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        x = self.features(image)  # [256, 6, 6]
        x = self.avgpool(x)  # [256, 6, 6]
        x = self.flatten(x)  # [9216]
        x = self.classifier(x)  # [1000]
        return x
