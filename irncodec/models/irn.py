"""Invertible Rescaling Network."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from irncodec.models.coupling import AffineCoupling
from irncodec.models.haar import HaarDownsampling
from irncodec.models.invertible import InvertibleSequential

__all__ = ["IRN"]


class IRN(InvertibleSequential):
    """Invertible Rescaling Network (Xiao et al., "Invertible Image Rescaling", ECCV 2020).

    For each factor-2 level, one :class:`HaarDownsampling` followed by
    ``blocks`` :class:`AffineCoupling` layers whose low-frequency branch is the
    first ``channels`` channels. After ``log2(scale)`` levels the output has
    ``channels * scale**2`` channels: the first ``channels`` are the LR image
    ``y`` and the rest are the latent ``z`` that the codec discards.

    ``forward(x)`` maps HR to ``[y, z]``; ``forward(yz, rev=True)`` is its exact
    inverse. :meth:`downscale` and :meth:`upscale` split and join ``y`` and ``z``.
    """

    def __init__(
        self,
        scale: int = 2,
        channels: int = 3,
        blocks: int = 8,
        growth: int = 32,
        layers: int = 5,
        clamp: float = 1.0,
    ) -> None:
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of two >= 2, got {scale}")
        ops = []
        width = channels
        for _ in range(int(math.log2(scale))):
            ops.append(HaarDownsampling(width))
            width *= 4
            ops.extend(
                AffineCoupling(width, split=channels, growth=growth, layers=layers, clamp=clamp) for _ in range(blocks)
            )
        super().__init__(ops)
        self.scale = scale
        self.channels = channels

    @property
    def latent_channels(self) -> int:
        """Number of channels of ``z`` per LR pixel."""
        return self.channels * (self.scale**2 - 1)

    def downscale(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """HR ``x`` (N x C x H x W, H and W multiples of ``scale``) to ``(y, z)``."""
        out = self(x)
        return out[:, : self.channels], out[:, self.channels :]

    def upscale(self, y: Tensor, z: Tensor) -> Tensor:
        """Inverse pass from the LR ``y`` and a latent ``z`` of matching size."""
        return self(torch.cat((y, z), dim=1), rev=True)
