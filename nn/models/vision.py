"""Classic convolutional networks (Dive into Deep Learning, ch. 6-7) and MLPs, sized for CPU.

- Arguments: ``lenet``, ``alexnet``, ``vgg``, ``nin``, ``googlenet``, ``resnet`` and ``densenet``
  take ``in_channels`` and ``num_classes``; ``mlp`` takes its layer ``sizes`` and
  ``deep_sigmoid_mlp`` its ``depth``, hidden ``width``, ``in_features`` and ``num_classes``.
- Image size: ``alexnet``, ``vgg``, ``nin``, ``googlenet``, ``resnet`` and ``densenet`` accept
  28x28, 32x32 and larger images (padding, and adaptive average pooling before the
  classifier). ``lenet`` needs 28x28 (its first dense layer expects 16x5x5 features), and the
  MLPs' defaults expect 28x28 single-channel images (784 features once flattened).
- Width multiplier: ``alexnet``, ``nin``, ``googlenet`` and ``resnet`` take one (``width``, an
  integer scaling their channel counts). The others don't: ``vgg`` takes its block layout
  ``arch``, ``densenet`` its ``growth`` rate and ``blocks``, and ``lenet`` takes its
  ``activation``, ``pool`` and ``batch_norm`` instead.
"""

from __future__ import annotations

from autograd import Tensor, cat

from ..activation import ReLU, Sigmoid
from ..conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d
from ..layers import BatchNorm1d, BatchNorm2d, Dropout, Flatten, Linear
from ..module import Module, Sequential


def lenet(
    in_channels: int = 1,
    num_classes: int = 10,
    activation: str = "sigmoid",
    pool: str = "avg",
    batch_norm: bool = False,
) -> Sequential:
    """LeNet-5 for 28x28 inputs; the defaults are D2L's: sigmoid activations and average pooling.

    ``activation`` ("sigmoid" or "relu") and ``pool`` ("avg" or "max") pick the modern variant;
    ``batch_norm=True`` puts batch normalisation before each activation (D2L's "LeNet with batch
    normalization"). The layer sizes stay LeNet's.

    >>> [type(m).__name__ for m in lenet(activation="relu", pool="max", batch_norm=True)][:4]
    ['Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d']
    """
    acts = {"sigmoid": Sigmoid, "relu": ReLU}
    pools = {"avg": AvgPool2d, "max": MaxPool2d}
    if activation not in acts or pool not in pools:
        raise ValueError(
            f"lenet: activation must be one of {sorted(acts)} (got {activation!r}) and pool one of "
            f"{sorted(pools)} (got {pool!r})"
        )
    act, pooling = acts[activation], pools[pool]

    def norm(features: int, conv: bool) -> list[Module]:
        if not batch_norm:
            return []
        return [BatchNorm2d(features) if conv else BatchNorm1d(features)]

    return Sequential(
        Conv2d(in_channels, 6, kernel_size=5, padding=2), *norm(6, True), act(), pooling(2, stride=2),
        Conv2d(6, 16, kernel_size=5), *norm(16, True), act(), pooling(2, stride=2),
        Flatten(),
        Linear(16 * 5 * 5, 120), *norm(120, False), act(),
        Linear(120, 84), *norm(84, False), act(),
        Linear(84, num_classes),
    )  # fmt: skip


def alexnet(in_channels: int = 1, num_classes: int = 10, width: int = 1) -> Sequential:
    """AlexNet's shape (5 convolutions, 3 dense layers with dropout), narrowed for CPU."""
    c = [16 * width, 48 * width, 64 * width]
    return Sequential(
        Conv2d(in_channels, c[0], kernel_size=5, padding=2), ReLU(), MaxPool2d(3, stride=2),
        Conv2d(c[0], c[1], kernel_size=5, padding=2), ReLU(), MaxPool2d(3, stride=2),
        Conv2d(c[1], c[2], kernel_size=3, padding=1), ReLU(),
        Conv2d(c[2], c[2], kernel_size=3, padding=1), ReLU(),
        Conv2d(c[2], c[1], kernel_size=3, padding=1), ReLU(),
        AdaptiveAvgPool2d(3), Flatten(),
        Linear(c[1] * 9, 256), ReLU(), Dropout(0.5),
        Linear(256, 256), ReLU(), Dropout(0.5),
        Linear(256, num_classes),
    )  # fmt: skip


def vgg_block(num_convs: int, in_channels: int, out_channels: int) -> Sequential:
    """``num_convs`` 3x3 convolutions with ReLU, then 2x2 max pooling."""
    layers: list[Module] = []
    for _ in range(num_convs):
        layers += [Conv2d(in_channels, out_channels, kernel_size=3, padding=1), ReLU()]
        in_channels = out_channels
    return Sequential(*layers, MaxPool2d(2, stride=2))


def vgg(in_channels: int = 1, num_classes: int = 10, arch: tuple = ((1, 16), (1, 32), (2, 64))) -> Sequential:
    """VGG: a stack of VGG blocks ``(num_convs, channels)`` and a dense classifier."""
    blocks = []
    for num_convs, out in arch:
        blocks.append(vgg_block(num_convs, in_channels, out))
        in_channels = out
    return Sequential(
        *blocks, AdaptiveAvgPool2d(2), Flatten(),
        Linear(in_channels * 4, 256), ReLU(), Dropout(0.5),
        Linear(256, num_classes),
    )  # fmt: skip


def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int) -> Sequential:
    """One convolution followed by two 1x1 convolutions (per-pixel MLPs)."""
    return Sequential(
        Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding), ReLU(),
        Conv2d(out_channels, out_channels, kernel_size=1), ReLU(),
        Conv2d(out_channels, out_channels, kernel_size=1), ReLU(),
    )  # fmt: skip


def nin(in_channels: int = 1, num_classes: int = 10, width: int = 1) -> Sequential:
    """Network in Network: NiN blocks and global average pooling instead of dense layers."""
    c = [24 * width, 64 * width, 96 * width]
    return Sequential(
        nin_block(in_channels, c[0], 5, 1, 2), MaxPool2d(3, stride=2),
        nin_block(c[0], c[1], 5, 1, 2), MaxPool2d(3, stride=2),
        nin_block(c[1], c[2], 3, 1, 1), MaxPool2d(3, stride=2), Dropout(0.5),
        nin_block(c[2], num_classes, 3, 1, 1),
        AdaptiveAvgPool2d(1), Flatten(),
    )  # fmt: skip


class Inception(Module):
    """GoogLeNet's block: four parallel paths concatenated along channels."""

    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int):
        super().__init__()
        self.p1 = Sequential(Conv2d(in_channels, c1, kernel_size=1), ReLU())
        self.p2 = Sequential(
            Conv2d(in_channels, c2[0], kernel_size=1), ReLU(), Conv2d(c2[0], c2[1], kernel_size=3, padding=1), ReLU()
        )
        self.p3 = Sequential(
            Conv2d(in_channels, c3[0], kernel_size=1), ReLU(), Conv2d(c3[0], c3[1], kernel_size=5, padding=2), ReLU()
        )
        self.p4 = Sequential(MaxPool2d(3, stride=1, padding=1), Conv2d(in_channels, c4, kernel_size=1), ReLU())

    def forward(self, x: Tensor) -> Tensor:
        return cat([self.p1(x), self.p2(x), self.p3(x), self.p4(x)], dim=1)


def googlenet(in_channels: int = 1, num_classes: int = 10, width: int = 1) -> Sequential:
    """A short GoogLeNet: a stem, two Inception blocks, global average pooling."""
    w = width
    return Sequential(
        Conv2d(in_channels, 16 * w, kernel_size=5, padding=2), ReLU(), MaxPool2d(3, stride=2, padding=1),
        Inception(16 * w, 8 * w, (8 * w, 16 * w), (4 * w, 8 * w), 8 * w),
        Inception(40 * w, 16 * w, (16 * w, 24 * w), (4 * w, 12 * w), 12 * w), MaxPool2d(3, stride=2, padding=1),
        AdaptiveAvgPool2d(1), Flatten(), Linear(64 * w, num_classes),
    )  # fmt: skip


class Residual(Module):
    """ResNet's basic block: two 3x3 conv + batch norm, plus the (projected) input."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = Conv2d(in_channels, out_channels, kernel_size=3, padding=1, stride=stride)
        self.bn1 = BatchNorm2d(out_channels)
        self.conv2 = Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        self.bn2 = BatchNorm2d(out_channels)
        self.relu = ReLU()
        self.shortcut = (
            Conv2d(in_channels, out_channels, kernel_size=1, stride=stride)
            if stride != 1 or in_channels != out_channels
            else None
        )

    def forward(self, x: Tensor) -> Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (self.shortcut(x) if self.shortcut is not None else x))


def resnet(in_channels: int = 1, num_classes: int = 10, width: int = 1, blocks: tuple = (2, 2, 2)) -> Sequential:
    """A ResNet-18-style network: stages of residual blocks, halving resolution between them."""
    c = 16 * width
    layers: list[Module] = [Conv2d(in_channels, c, kernel_size=3, padding=1), BatchNorm2d(c), ReLU()]
    for stage, n in enumerate(blocks):
        out = c * (2**stage)
        for i in range(n):
            first = i == 0 and stage > 0
            layers.append(Residual(out // 2 if first else out, out, stride=2 if first else 1))
    layers += [AdaptiveAvgPool2d(1), Flatten(), Linear(c * 2 ** (len(blocks) - 1), num_classes)]
    return Sequential(*layers)


class DenseBlock(Module):
    """DenseNet: each conv sees the concatenation of all earlier outputs."""

    def __init__(self, num_convs: int, in_channels: int, growth: int):
        super().__init__()
        from ..module import ModuleList

        self.convs = ModuleList(
            Sequential(BatchNorm2d(in_channels + i * growth), ReLU(),
                       Conv2d(in_channels + i * growth, growth, kernel_size=3, padding=1))
            for i in range(num_convs)
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        for conv in self.convs:
            x = cat([x, conv(x)], dim=1)
        return x


def transition(in_channels: int, out_channels: int) -> Sequential:
    """Shrink channels with a 1x1 conv and halve the resolution."""
    return Sequential(
        BatchNorm2d(in_channels), ReLU(), Conv2d(in_channels, out_channels, kernel_size=1), AvgPool2d(2, stride=2)
    )


def densenet(in_channels: int = 1, num_classes: int = 10, growth: int = 8, blocks: tuple = (2, 2)) -> Sequential:
    """A small DenseNet: dense blocks joined by transition layers."""
    c = 2 * growth
    layers: list[Module] = [Conv2d(in_channels, c, kernel_size=3, padding=1), BatchNorm2d(c), ReLU()]
    for i, n in enumerate(blocks):
        layers.append(DenseBlock(n, c, growth))
        c += n * growth
        if i < len(blocks) - 1:
            layers.append(transition(c, c // 2))
            c //= 2
    layers += [BatchNorm2d(c), ReLU(), AdaptiveAvgPool2d(1), Flatten(), Linear(c, num_classes)]
    return Sequential(*layers)


def mlp(sizes: tuple = (784, 256, 128, 10), activation: type = ReLU) -> Sequential:
    """Fully connected layers with an activation between them (flattening the input first)."""
    layers: list[Module] = [Flatten()]
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return Sequential(*layers)


def deep_sigmoid_mlp(depth: int = 6, width: int = 30, in_features: int = 784, num_classes: int = 10) -> Sequential:
    """Nielsen ch. 5's deep sigmoid network, where early layers' gradients vanish."""
    return mlp((in_features,) + (width,) * depth + (num_classes,), activation=Sigmoid)
