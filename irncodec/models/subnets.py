"""Sub-networks used inside coupling layers."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["DenseBlock"]


class DenseBlock(nn.Module):
    """Five-layer densely connected conv block, the IRN coupling sub-network.

    Xiao et al., "Invertible Image Rescaling", ECCV 2020, Sec. 3.3 (the
    transformations phi, eta and rho), after the residual dense block of
    ESRGAN. Each 3x3 conv sees the input and all earlier features; LeakyReLU
    (0.2) follows every conv but the last. The last conv starts at zero, so
    a coupling layer built on it starts as the identity.
    """

    def __init__(self, in_channels: int, out_channels: int, growth: int = 32, layers: int = 5) -> None:
        super().__init__()
        if layers < 2:
            raise ValueError(f"a DenseBlock needs at least 2 layers, got {layers}")
        convs = []
        for i in range(layers - 1):
            convs.append(nn.Conv2d(in_channels + i * growth, growth, 3, padding=1))
        self.hidden = nn.ModuleList(convs)
        self.out = nn.Conv2d(in_channels + (layers - 1) * growth, out_channels, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        for conv in self.hidden:
            nn.init.xavier_normal_(conv.weight)
            conv.weight.data.mul_(0.1)
            nn.init.zeros_(conv.bias)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for conv in self.hidden:
            features.append(self.act(conv(torch.cat(features, dim=1))))
        return self.out(torch.cat(features, dim=1))
