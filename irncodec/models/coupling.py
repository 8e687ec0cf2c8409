"""Affine coupling layer of IRN."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from irncodec.models.subnets import DenseBlock

__all__ = ["AffineCoupling"]


class AffineCoupling(nn.Module):
    """IRN's invertible block (Xiao et al., ECCV 2020, Eqs. 1-2).

    The input is split along channels into ``x1`` (the first ``split``
    channels, the low-frequency branch) and ``x2`` (the rest)::

        y1 = x1 + F(x2)
        s  = clamp * (2 * sigmoid(H(y1)) - 1)
        y2 = x2 * exp(s) + G(y1)

    The reverse pass solves these equations in the opposite order, so the
    inverse is exact by construction. ``F``, ``G`` and ``H`` are
    :class:`DenseBlock` sub-networks of the given growth and depth.
    """

    def __init__(self, channels: int, split: int = 3, growth: int = 32, layers: int = 5, clamp: float = 1.0) -> None:
        super().__init__()
        if not 0 < split < channels:
            raise ValueError(f"split must be in (0, {channels}), got {split}")
        self.channels = channels
        self.split = split
        self.clamp = clamp
        rest = channels - split
        self.f = DenseBlock(rest, split, growth=growth, layers=layers)
        self.g = DenseBlock(split, rest, growth=growth, layers=layers)
        self.h = DenseBlock(split, rest, growth=growth, layers=layers)

    def _log_scale(self, y1: Tensor) -> Tensor:
        return self.clamp * (torch.sigmoid(self.h(y1)) * 2.0 - 1.0)

    def forward(self, x: Tensor, rev: bool = False) -> Tensor:
        """Apply the coupling (``rev=False``) or its exact inverse (``rev=True``)."""
        if x.shape[1] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {x.shape[1]}")
        a, b = x[:, : self.split], x[:, self.split :]
        if not rev:
            y1 = a + self.f(b)
            y2 = b * torch.exp(self._log_scale(y1)) + self.g(y1)
            return torch.cat((y1, y2), dim=1)
        x2 = (b - self.g(a)) * torch.exp(-self._log_scale(a))
        x1 = a - self.f(x2)
        return torch.cat((x1, x2), dim=1)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, split={self.split}, clamp={self.clamp}"
