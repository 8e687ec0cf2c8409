"""IRN with a learned encoder-side LR correction: refinement amortised into a network."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from irncodec.models.irn import IRN
from irncodec.models.sr import ResidualTrunk

__all__ = ["CorrectedIRN", "LRCorrector"]

RESIDUAL_GAIN = 10.0  # the decode residual is small (RMS ~0.01): scaled up so the first conv sees it


class LRCorrector(ResidualTrunk):
    """A residual CNN at LR resolution that predicts a correction of IRN's LR from the LR, the HR image and the
    error of the HR image decoded from that LR (both HR tensors folded into LR-sized channels).

    Head conv, ``blocks`` EDSR residual blocks (Lim et al., CVPRW 2017), tail conv. The tail starts at zero, so
    a fresh corrector changes nothing. It learns in one pass what a few steps of gradient descent on the LR
    pixels (``irncodec.refine``, in the spirit of content-adaptive encoding, Campos et al., CVPR-W 2019) find
    per image, much as learned back-projection replaces iterative back-projection.
    """

    def __init__(self, scale: int, channels: int = 3, features: int = 48, blocks: int = 4) -> None:
        super().__init__(channels * (1 + 2 * scale * scale), channels, features, blocks)
        self.scale = scale

    def forward(self, y: Tensor, x: Tensor, residual: Tensor) -> Tensor:
        """The correction (to add to ``y``) for LR ``y``, HR ``x`` and ``residual = x - decode(y)``."""
        s = self.scale
        t = torch.cat((y - 0.5, F.pixel_unshuffle(x, s) - 0.5, F.pixel_unshuffle(residual, s) * RESIDUAL_GAIN), 1)
        return self.trunk(t)


class CorrectedIRN(IRN):
    """IRN (Xiao et al., "Invertible Image Rescaling", ECCV 2020) whose forward pass corrects its LR for the
    decoder the codec actually runs.

    The receiver inverts ``[round(y), z = 0]``, not ``[y, z]``, so the LR the forward pass makes is not the
    best one to send: encoder-side refinement (``irncodec.refine``) gains 0.6-0.75 dB at x2 by optimising the LR
    pixels per image. Here an :class:`LRCorrector` predicts that change in one pass: the forward pass computes
    IRN's ``[y, z]``, decodes ``round(y)`` with the exact inverse at ``z = 0`` (no gradient), and returns
    ``[clamp(round(y) + corrector(round(y), x, x - decoded), 0, 1), z]``. The reverse pass is IRN's exact
    inverse, unchanged, so the decoder is the IRN it was built from; the forward pass is no longer that inverse's
    exact inverse (nor meant to be). With the corrector at its zero initialisation the 8-bit LR is IRN's, and IRN
    weights load into it unchanged (the corrector's tensors live under ``corrector.``). Models of temperature 0
    only: the residual assumes the decoder's ``z`` is zero.
    """

    def __init__(self, *, corrector_features: int = 48, corrector_blocks: int = 4, **irn_kwargs: Any) -> None:
        """``irn_kwargs`` are :class:`IRN`'s (scale, channels, blocks, growth, layers, clamp)."""
        super().__init__(**irn_kwargs)
        self.corrector = LRCorrector(self.scale, self.channels, corrector_features, corrector_blocks)

    def forward(self, x: Tensor, rev: bool = False) -> Tensor:
        """HR to corrected ``[y, z]`` (``rev=False``), or ``[y, z]`` to HR with IRN's inverse (``rev=True``)."""
        if rev:
            return super().forward(x, rev=True)
        out = super().forward(x)
        c = self.channels
        y, z = out[:, :c], out[:, c:]
        # 8-bit, straight-through: irncodec.rescale.quantize_ste, which cannot be imported here (rescale imports
        # this package)
        sent = y + (torch.round(y.clamp(0.0, 1.0) * 255.0) / 255.0 - y).detach()
        with torch.no_grad():
            decoded = super().forward(torch.cat((sent.detach(), torch.zeros_like(z)), 1), rev=True)
        # Clamped with its true gradient: the 8-bit LR cannot leave [0, 1], and a straight-through gradient there
        # let a first corrector drift to LR values of 30 in highlights (measured: held-out -0.17 dB).
        return torch.cat(((sent + self.corrector(sent, x, x - decoded)).clamp(0.0, 1.0), z), 1)
