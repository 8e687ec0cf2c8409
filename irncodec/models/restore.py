"""Compression-aware IRN: a restoration module in front of IRN's inverse pass."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from irncodec.models.irn import IRN
from irncodec.models.sr import ResidualTrunk

__all__ = ["CompressionAwareIRN", "LRRestorer"]


class LRRestorer(ResidualTrunk):
    """A residual CNN that maps a lossy-coded LR image back toward the LR the forward pass made.

    Head conv, ``blocks`` EDSR residual blocks (Lim et al., CVPRW 2017), tail conv,
    added to the input. The tail starts at zero, so a fresh restorer is the identity.
    """

    def __init__(self, channels: int = 3, features: int = 32, blocks: int = 4) -> None:
        super().__init__(channels, channels, features, blocks)

    def forward(self, y: Tensor) -> Tensor:
        """The restored LR for a received LR ``y``."""
        return y + self.trunk(y)


class CompressionAwareIRN(IRN):
    """IRN whose upscaling first restores the received LR (Xiao et al., "Invertible Rescaling
    Network and Its Extensions", IJCV 2023, compression restoration module; compare the
    asymmetric up/down paths of SAIN, Yang et al., AAAI 2023).

    The forward pass is IRN's. The reverse pass replaces the LR part ``y`` of its
    input by ``LRRestorer(y)`` before IRN's exact inverse, so the pair is trained
    for an LR that went through a lossy codec in between. With the restorer at
    its zero initialisation, the model is exactly the IRN it was built from, and
    IRN weights load into it unchanged (the restorer's tensors live under
    ``restorer.``).
    """

    def __init__(self, *, restorer_features: int = 32, restorer_blocks: int = 4, **irn_kwargs: Any) -> None:
        """``irn_kwargs`` are :class:`IRN`'s (scale, channels, blocks, growth, layers, clamp)."""
        super().__init__(**irn_kwargs)
        self.restorer = LRRestorer(self.channels, restorer_features, restorer_blocks)

    def forward(self, x: Tensor, rev: bool = False) -> Tensor:
        """HR to ``[y, z]`` (``rev=False``), or restored ``[y, z]`` to HR (``rev=True``)."""
        if rev:
            c = self.channels
            x = torch.cat((self.restorer(x[:, :c]), x[:, c:]), dim=1)
        return super().forward(x, rev=rev)
