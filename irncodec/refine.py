"""Encoder-side refinement of the LR: spend encoding time for quality, with the decoder unchanged.

IRN (Xiao et al., ECCV 2020) decodes ``x_hat = f^-1(y, z)``. The forward pass makes ``y`` from the HR image ``x``,
but the receiver gets ``y`` rounded to 8 bits (PNG) or through JPEG / WebP, and draws its own ``z`` (zeros at
temperature 0), so ``x_hat`` misses ``x`` by what those steps lose. The encoder holds ``x`` and the network, so it
can search the LR directly: a few Adam steps on the LR pixels that minimise ``|f^-1(channel(y), z) - x|^2`` through
the same channel the receiver will see (:func:`lr_channel`: straight-through 8-bit rounding, or the real JPEG /
WebP pixels with the gradient of the JPEG simulation). This is the idea of content-adaptive, encoder-side
optimisation used by learned image codecs (e.g. latent refinement in Campos et al., "Content Adaptive
Optimization for Neural Image Compression", CVPR-W 2019), applied to the LR, which here is the bitstream.

The file format does not change: a refined LR is an ordinary LR and decodes with any irncodec. The LR stays an
image to look at (a refined LR differs from the forward pass's by a few 8-bit levels; see ``benchmarks/refine.py``
for the measured drift, bytes and gains).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor

from irncodec.rescale import quantize, quantize_ste

__all__ = ["RATE_WEIGHT", "STEP_SIZE", "lr_channel", "lr_rate", "refine_lr"]

STEP_SIZE = 2e-3  # Adam's peak step on LR pixels in [0, 1] (about half an 8-bit level)
RATE_WEIGHT = 1e-3  # weight of the JPEG bits-per-LR-pixel estimate next to the HR mean squared error (lossy LRs)
_ALIGN = 16  # tile corners on the JPEG MCU grid (16 x 16 for 4:2:0), so a tile's blocks are the file's blocks


def lr_channel(lr_format: str, quality: int | None, chroma: str = "420") -> Callable[[Tensor], Tensor]:
    """What the receiver's LR is, as a function of the encoder's float LR, with a gradient.

    PNG: rounding to 8 bits (straight-through). JPEG / WebP: the real codec's decoded pixels in the forward pass,
    the differentiable JPEG simulation's gradient in the backward pass (:func:`irncodec.train.jpeg.jpeg_channel`;
    for WebP the JPEG gradient is a stand-in).
    """
    if lr_format == "png":
        return quantize_ste
    from irncodec.train.jpeg import jpeg_channel

    if quality is None:
        raise ValueError(f"a {lr_format} LR needs a quality")
    return partial(jpeg_channel, quality=quality, fmt=lr_format, chroma=chroma)


def lr_rate(lr_format: str, quality: int | None, chroma: str = "420") -> Callable[[Tensor], Tensor] | None:
    """A differentiable estimate of the LR's bits per LR pixel (the JPEG estimate also stands in for WebP), or
    ``None`` for PNG, whose size the refinement leaves alone."""
    if lr_format == "png":
        return None
    from irncodec.train.jpeg import jpeg_rate

    return partial(jpeg_rate, quality=quality, chroma=chroma)


def _windows(h: int, w: int, tile: int, overlap: int) -> list[tuple[tuple[int, int, int, int], tuple[int, ...]]]:
    """(core, window) boxes as (top, bottom, left, right) on the LR grid: cores of ``tile`` pixels cover the
    image, each window adds ``overlap`` pixels of context on every side (clipped to the image)."""
    if tile <= 0:
        return [((0, h, 0, w), (0, h, 0, w))]
    boxes = []
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            core = (top, min(top + tile, h), left, min(left + tile, w))
            window = (
                max(top - overlap, 0),
                min(core[1] + overlap, h),
                max(left - overlap, 0),
                min(core[3] + overlap, w),
            )
            boxes.append((core, window))
    return boxes


def refine_lr(
    net: torch.nn.Module,
    x: Tensor,
    y: Tensor,
    z: Tensor,
    channel: Callable[[Tensor], Tensor],
    steps: int,
    step_size: float = STEP_SIZE,
    rate: Callable[[Tensor], Tensor] | None = None,
    rate_weight: float = RATE_WEIGHT,
    tile: int = 256,
    overlap: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> Tensor:
    """The LR ``y`` (1 x 3 x h x w in [0, 1]) after ``steps`` Adam steps per tile on
    ``mse(net.upscale(channel(y), z), x) + rate_weight * rate(y)``, rounded to 8 bits.

    ``x`` is the HR (1 x 3 x sh x sw, ``s`` the network's scale), ``z`` the latent the receiver will draw. The
    step size follows a cosine from ``step_size`` to zero. The image is refined in windows of ``tile`` LR pixels
    plus ``overlap`` of context (multiples of 16 keep JPEG's blocks aligned), one after another, each window
    seeing its refined neighbours; only a window's core is kept, and of its steps the one whose loss was lowest
    (the step-0 LR included, so a window never gets worse by its own measure). ``progress(done, total)`` counts
    window-steps. Only the LR gets a gradient (the network's weights and their ``.grad`` are left alone); the
    caller's tensors are not changed.
    """
    if tile > 0 and (tile % _ALIGN or overlap % _ALIGN):
        raise ValueError(f"tile and overlap must be multiples of {_ALIGN}, got {tile} and {overlap}")
    s = x.shape[-1] // y.shape[-1]
    out = y.detach().clone()
    boxes = _windows(y.shape[-2], y.shape[-1], tile, overlap)
    total, done = len(boxes) * steps, 0
    with torch.enable_grad():
        for (c0, c1, d0, d1), (t0, t1, l0, l1) in boxes:
            target = x[:, :, t0 * s : t1 * s, l0 * s : l1 * s]
            zw = z[:, :, t0:t1, l0:l1].to(device=y.device, dtype=y.dtype)
            param = out[:, :, t0:t1, l0:l1].clone().requires_grad_(True)
            opt = torch.optim.Adam([param], lr=step_size)
            best, best_y = math.inf, param.detach().clone()
            for step in range(steps + 1):
                lr_in = param.clamp(0.0, 1.0)
                joint = torch.cat((channel(lr_in), zw), dim=1).contiguous(memory_format=torch.channels_last)
                loss = torch.mean((net(joint, rev=True).clamp(0.0, 1.0) - target) ** 2)
                if rate is not None and rate_weight:
                    loss = loss + rate_weight * rate(lr_in)
                if loss.item() < best:
                    best, best_y = loss.item(), param.detach().clone()
                if step == steps:
                    break
                for group in opt.param_groups:
                    group["lr"] = step_size * 0.5 * (1.0 + math.cos(math.pi * step / steps))
                (param.grad,) = torch.autograd.grad(loss, [param])  # no gradient for the network's weights
                opt.step()
                done += 1
                if progress is not None:
                    progress(done, total)
            out[:, :, c0:c1, d0:d1] = quantize(best_y)[:, :, c0 - t0 : c1 - t0, d0 - l0 : d1 - l0]
    return out
