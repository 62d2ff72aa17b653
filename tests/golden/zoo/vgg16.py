"""VGG16, compiled by nnspec from specs/vgg16.nn.

Inputs: image [3, 224, 224]; outputs: [1000] (shapes without the batch dimension).
Parameters: 138,357,544. Generated code: edit the spec and compile it again.
"""

from torch import nn


class Features(nn.Sequential):
    """Block `Features`; instances: `features`."""

    def __init__(self):
        super().__init__(
            nn.Conv2d(3, 64, 3, padding=1),  # [64, 224, 224]
            nn.ReLU(),  # [64, 224, 224]
            nn.Conv2d(64, 64, 3, padding=1),  # [64, 224, 224]
            nn.ReLU(),  # [64, 224, 224]
            nn.MaxPool2d(2),  # [64, 112, 112]
            nn.Conv2d(64, 128, 3, padding=1),  # [128, 112, 112]
            nn.ReLU(),  # [128, 112, 112]
            nn.Conv2d(128, 128, 3, padding=1),  # [128, 112, 112]
            nn.ReLU(),  # [128, 112, 112]
            nn.MaxPool2d(2),  # [128, 56, 56]
            nn.Conv2d(128, 256, 3, padding=1),  # [256, 56, 56]
            nn.ReLU(),  # [256, 56, 56]
            nn.Conv2d(256, 256, 3, padding=1),  # [256, 56, 56]
            nn.ReLU(),  # [256, 56, 56]
            nn.Conv2d(256, 256, 3, padding=1),  # [256, 56, 56]
            nn.ReLU(),  # [256, 56, 56]
            nn.MaxPool2d(2),  # [256, 28, 28]
            nn.Conv2d(256, 512, 3, padding=1),  # [512, 28, 28]
            nn.ReLU(),  # [512, 28, 28]
            nn.Conv2d(512, 512, 3, padding=1),  # [512, 28, 28]
            nn.ReLU(),  # [512, 28, 28]
            nn.Conv2d(512, 512, 3, padding=1),  # [512, 28, 28]
            nn.ReLU(),  # [512, 28, 28]
            nn.MaxPool2d(2),  # [512, 14, 14]
            nn.Conv2d(512, 512, 3, padding=1),  # [512, 14, 14]
            nn.ReLU(),  # [512, 14, 14]
            nn.Conv2d(512, 512, 3, padding=1),  # [512, 14, 14]
            nn.ReLU(),  # [512, 14, 14]
            nn.Conv2d(512, 512, 3, padding=1),  # [512, 14, 14]
            nn.ReLU(),  # [512, 14, 14]
            nn.MaxPool2d(2),  # [512, 7, 7]
        )


class Classifier(nn.Sequential):
    """Block `Classifier(classes)` on [25088]; instances: `classifier`."""

    def __init__(self, classes):
        super().__init__(
            nn.Linear(25088, 4096),  # [4096]
            nn.ReLU(),  # [4096]
            nn.Dropout(),  # [4096]
            nn.Linear(4096, 4096),  # [4096]
            nn.ReLU(),  # [4096]
            nn.Dropout(),  # [4096]
            nn.Linear(4096, classes),  # [classes]
        )


class VGG16(nn.Module):
    """Network `VGG16(classes=1000)`: image [3, 224, 224] -> [1000].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=1000):
        super().__init__()
        self.features = Features()
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.flatten = nn.Flatten()
        self.classifier = Classifier(classes)

    def forward(self, image):
        """image [batch, 3, 224, 224] -> [batch, 1000]"""
        x = self.features(image)  # [512, 7, 7]
        x = self.avgpool(x)  # [512, 7, 7]
        x = self.flatten(x)  # [25088]
        x = self.classifier(x)  # [1000]
        return x
