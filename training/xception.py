"""Xception in PyTorch, faithful to Keras's `keras.applications.Xception`, plus the dog-breed head.

Faithful means Keras's ImageNet weights load into it by name (see keras_weights.py) and then compute what Keras
computes: the same blocks and channel counts, no bias in convolutions, BatchNormalization with epsilon 1e-3 (torch's
default is 1e-5) and Keras momentum 0.99 (= torch momentum 0.01), and TensorFlow's 'same' padding, which for a
stride-2 window on an even-sized input pads only the bottom/right edge (torch pads both sides equally, so a
`MaxPool2d(3, 2, padding=1)` would shift every window by one pixel).

Module names follow the Keras layer names (`block2_sepconv1` → `block2.sepconv1`) so the weight mapping reads like
the Keras model summary.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Keras BatchNormalization defaults used by Xception.
BN_EPSILON = 1e-3
#: Keras momentum 0.99 means running = 0.99·running + 0.01·batch; torch's momentum is the weight of the batch.
BN_MOMENTUM = 0.01
#: The blocks whose stride-2 shortcut is a 1×1 convolution (Keras names them conv2d_N / batch_normalization_N).
RESIDUAL_BLOCKS = (2, 3, 4, 13)
MIDDLE_BLOCKS = tuple(range(5, 13))
FEATURES = 2048
NUM_BREEDS = 120


def batch_norm(channels: int) -> nn.BatchNorm2d:
    """A BatchNorm with Keras's epsilon and momentum, so imported moving statistics mean the same thing."""
    return nn.BatchNorm2d(channels, eps=BN_EPSILON, momentum=BN_MOMENTUM)


def tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding along one axis: (before, after), the odd pixel going after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class TfSameMaxPool(nn.Module):
    """MaxPooling2D(padding='same'): pads with −inf exactly as TensorFlow does (asymmetric on even sizes)."""

    def __init__(self, kernel: int = 3, stride: int = 2) -> None:
        super().__init__()
        self.kernel = kernel
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = tf_same_padding(int(x.shape[-2]), self.kernel, self.stride)
        left, right = tf_same_padding(int(x.shape[-1]), self.kernel, self.stride)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
        return F.max_pool2d(x, self.kernel, self.stride)


class SeparableConv2d(nn.Module):
    """Keras SeparableConv2D (3×3, stride 1, 'same', no bias): depthwise then pointwise, nothing in between."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        # Stride 1 with a 3×3 kernel: TF 'same' is one pixel on every side, which torch can express directly.
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class DownBlock(nn.Module):
    """Blocks 2, 3, 4 and 13: two separable convs, a stride-2 'same' max pool, and a strided 1×1 conv shortcut.

    Block 2 has no ReLU before its first separable conv (block 1 already ended with one).
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, relu_first: bool = True) -> None:
        super().__init__()
        self.relu_first = relu_first
        self.sepconv1 = SeparableConv2d(in_channels, mid_channels)
        self.sepconv1_bn = batch_norm(mid_channels)
        self.sepconv2 = SeparableConv2d(mid_channels, out_channels)
        self.sepconv2_bn = batch_norm(out_channels)
        self.pool = TfSameMaxPool(3, 2)
        # A 1×1 stride-2 'same' conv never pads (TF's total padding is ≤ 0), so torch's padding=0 is exact.
        self.residual_conv = nn.Conv2d(in_channels, out_channels, 1, stride=2, bias=False)
        self.residual_bn = batch_norm(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.residual_bn(self.residual_conv(x))
        y = F.relu(x) if self.relu_first else x
        y = self.sepconv1_bn(self.sepconv1(y))
        y = self.sepconv2_bn(self.sepconv2(F.relu(y)))
        return self.pool(y) + residual


class MiddleBlock(nn.Module):
    """Blocks 5–12: three ReLU → separable conv → BN units and an identity shortcut, 728 channels throughout."""

    def __init__(self, channels: int = 728) -> None:
        super().__init__()
        self.sepconv1 = SeparableConv2d(channels, channels)
        self.sepconv1_bn = batch_norm(channels)
        self.sepconv2 = SeparableConv2d(channels, channels)
        self.sepconv2_bn = batch_norm(channels)
        self.sepconv3 = SeparableConv2d(channels, channels)
        self.sepconv3_bn = batch_norm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.sepconv1_bn(self.sepconv1(F.relu(x)))
        y = self.sepconv2_bn(self.sepconv2(F.relu(y)))
        y = self.sepconv3_bn(self.sepconv3(F.relu(y)))
        return y + x


class ExitBlock(nn.Module):
    """Block 14: separable conv 1536 → BN → ReLU → separable conv 2048 → BN → ReLU (no shortcut)."""

    def __init__(self) -> None:
        super().__init__()
        self.sepconv1 = SeparableConv2d(1024, 1536)
        self.sepconv1_bn = batch_norm(1536)
        self.sepconv2 = SeparableConv2d(1536, FEATURES)
        self.sepconv2_bn = batch_norm(FEATURES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.sepconv1_bn(self.sepconv1(x)))
        return F.relu(self.sepconv2_bn(self.sepconv2(y)))


class Xception(nn.Module):
    """Keras `Xception(include_top=False, pooling='avg')`: NCHW input in −1…1, 2048 features out."""

    def __init__(self) -> None:
        super().__init__()
        # Block 1 uses 'valid' padding in Keras: no padding at all.
        self.block1_conv1 = nn.Conv2d(3, 32, 3, stride=2, bias=False)
        self.block1_conv1_bn = batch_norm(32)
        self.block1_conv2 = nn.Conv2d(32, 64, 3, bias=False)
        self.block1_conv2_bn = batch_norm(64)
        self.block2 = DownBlock(64, 128, 128, relu_first=False)
        self.block3 = DownBlock(128, 256, 256)
        self.block4 = DownBlock(256, 728, 728)
        for index in MIDDLE_BLOCKS:
            self.add_module(f"block{index}", MiddleBlock(728))
        self.block13 = DownBlock(728, 728, 1024)
        self.block14 = ExitBlock()

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """The last ReLU's output, `[N, 2048, h, w]` (Keras's `block14_sepconv2_act`)."""
        x = F.relu(self.block1_conv1_bn(self.block1_conv1(x)))
        x = F.relu(self.block1_conv2_bn(self.block1_conv2(x)))
        for index in range(2, 15):
            x = getattr(self, f"block{index}")(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.feature_map(x).mean(dim=(2, 3))


class BreedHead(nn.Module):
    """The write-ups' head on the pooled features: dropout 0.5 → dense 1024 ReLU → dropout 0.5 → dense 120."""

    def __init__(self, num_classes: int = NUM_BREEDS, hidden: int = 1024, dropout: float = 0.5) -> None:
        super().__init__()
        self.dropout1 = nn.Dropout(dropout)
        self.dense1 = nn.Linear(FEATURES, hidden)
        self.dropout2 = nn.Dropout(dropout)
        self.dense2 = nn.Linear(hidden, num_classes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        hidden = F.relu(self.dense1(self.dropout1(features)))
        return self.dense2(self.dropout2(hidden))


class BreedClassifier(nn.Module):
    """Backbone + head; returns logits (the loss wants logits, the export appends the softmax)."""

    def __init__(self, num_classes: int = NUM_BREEDS) -> None:
        super().__init__()
        self.backbone = Xception()
        self.head = BreedHead(num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def block_modules(backbone: Xception, first: int, last: int) -> list[nn.Module]:
    """Blocks `first`…`last` of the backbone (block 1 is its four stem layers)."""
    modules: list[nn.Module] = []
    for index in range(first, last + 1):
        if index == 1:
            modules += [
                backbone.block1_conv1,
                backbone.block1_conv1_bn,
                backbone.block1_conv2,
                backbone.block1_conv2_bn,
            ]
        else:
            modules.append(getattr(backbone, f"block{index}"))
    return modules
