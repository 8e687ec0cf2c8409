"""A single-image super-resolution network, the learned baseline irncodec is measured against."""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["EDSR", "ResBlock", "ResidualTrunk"]


class ResBlock(nn.Module):
    """EDSR's residual block (Lim et al., CVPRW 2017): conv-ReLU-conv, no batch norm, scaled skip."""

    def __init__(self, features: int, res_scale: float) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(features, features, 3, padding=1)
        self.conv2 = nn.Conv2d(features, features, 3, padding=1)
        self.res_scale = res_scale

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(F.relu(self.conv1(x))) * self.res_scale


class ResidualTrunk(nn.Module):
    """Base class (no ``forward`` of its own): EDSR's trunk (Lim et al., CVPRW 2017) at one resolution, a head
    conv, ``blocks`` residual blocks with a long skip, and a tail conv. The tail starts at zero, so a fresh trunk
    outputs zeros: subclasses define ``forward``, add the trunk's output to something (an LR image, a correction)
    and so start as the identity."""

    def __init__(self, in_channels: int, out_channels: int, features: int, blocks: int) -> None:
        super().__init__()
        if features < 1 or blocks < 0:
            raise ValueError(f"need features >= 1 and blocks >= 0, got {features} and {blocks}")
        self.head = nn.Conv2d(in_channels, features, 3, padding=1)
        self.body = nn.Sequential(*(ResBlock(features, 1.0) for _ in range(blocks)))
        self.tail = nn.Conv2d(features, out_channels, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def trunk(self, t: Tensor) -> Tensor:
        """The trunk's output for input ``t`` (zero while the tail is at its initialisation)."""
        feat = self.head(t)
        return self.tail(self.body(feat) + feat)


class EDSR(nn.Module):
    """EDSR-style residual SR network (Lim et al., "Enhanced Deep Residual Networks for SISR", CVPRW 2017).

    Head conv, ``blocks`` residual blocks without batch norm (conv-ReLU-conv),
    a body conv with a long skip, sub-pixel (pixel shuffle) x2 upsampling
    stages and a tail conv. One departure from the paper: the bicubic
    upscale of the input is added to the output (a global residual, as in
    VDSR), which speeds up convergence on a CPU training budget. The tail
    starts at zero, so a fresh network is bicubic upscaling.
    """

    def __init__(
        self, scale: int = 2, channels: int = 3, features: int = 64, blocks: int = 8, res_scale: float = 1.0
    ) -> None:
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of two >= 2, got {scale}")
        self.scale = scale
        self.head = nn.Conv2d(channels, features, 3, padding=1)
        self.body = nn.Sequential(*(ResBlock(features, res_scale) for _ in range(blocks)))
        self.body_tail = nn.Conv2d(features, features, 3, padding=1)
        ups: list[nn.Module] = []
        for _ in range(int(math.log2(scale))):
            ups += [nn.Conv2d(features, 4 * features, 3, padding=1), nn.PixelShuffle(2)]
        self.upsample = nn.Sequential(*ups)
        self.tail = nn.Conv2d(features, channels, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, y: Tensor) -> Tensor:
        """LR ``y`` (N x C x h x w) to an HR estimate (N x C x h*scale x w*scale)."""
        feat = self.head(y)
        feat = feat + self.body_tail(self.body(feat))
        base = F.interpolate(y, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + self.tail(self.upsample(feat))
