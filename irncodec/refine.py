"""Encoder-side refinement of the LR: spend encoding time for quality, with the decoder unchanged.

IRN (Xiao et al., ECCV 2020) decodes ``x_hat = f^-1(y, z)``. The forward pass makes ``y`` from the HR image ``x``,
but the receiver gets ``y`` rounded to 8 bits (PNG) or through JPEG / WebP, and draws its own ``z`` (zeros at
temperature 0), so ``x_hat`` misses ``x`` by what those steps lose. The encoder holds ``x`` and the network, so it
can search the LR directly: a few Adam steps on the LR pixels that minimise ``|f^-1(channel(y), z) - x|^2`` through
the same channel the receiver will see (:func:`lr_channel`: 8-bit rounding, or the real JPEG / WebP pixels, with
the gradient of the identity or of the JPEG simulation). This is the idea of content-adaptive, encoder-side
optimisation used by learned image codecs (e.g. latent refinement in Campos et al., "Content Adaptive
Optimization for Neural Image Compression", CVPR-W 2019), applied to the LR, which here is the bitstream.

The file format does not change: a refined LR is an ordinary LR and decodes with any irncodec. The LR stays an
image to look at (a refined LR differs from the forward pass's by a few 8-bit levels; see ``benchmarks/refine.py``
for the measured drift, bytes and gains).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor

from irncodec.rescale import quantize

__all__ = ["RATE_WEIGHT", "STEP_SIZE", "LRChannel", "lr_channel", "lr_rate", "refine_lr"]

STEP_SIZE = 2e-3  # Adam's peak step on LR pixels in [0, 1] (about half an 8-bit level)
RATE_WEIGHT = 1e-3  # weight of the JPEG bits-per-LR-pixel estimate next to the HR mean squared error (lossy LRs)
# (the estimate is about 1-3 bits per LR pixel, the MSE about 1e-3 at 30 dB: a real trade of bytes for quality)
_ALIGN = 16  # tile corners on the JPEG MCU grid (16 x 16 for 4:2:0), so a tile's blocks are the file's blocks


@dataclass(frozen=True)
class LRChannel:
    """What the receiver's LR is, as a function of the encoder's float LR.

    ``real`` maps a 1 x 3 x h x w LR in [0, 1] to the receiver's pixels (no gradient needed): 8-bit rounding, or
    the codec's encode + decode. ``whole_frame`` says that ``real`` must see the whole LR, not a window of it
    (codecs whose pixels depend on the frame: WebP's segment quantisers, prediction and loop filter). ``simulate``
    is a differentiable stand-in applied to a window, whose gradient the refinement follows (``None``: the
    identity, a straight-through estimate).
    """

    real: Callable[[Tensor], Tensor]
    simulate: Callable[[Tensor], Tensor] | None = None
    whole_frame: bool = False


def _lossy(lr_format: str, quality: int | None, chroma: str) -> tuple[int, str]:
    """A lossy LR's quality (required) and chroma sampling (WebP is always 4:2:0)."""
    if quality is None:
        raise ValueError(f"a {lr_format} LR needs a quality")
    return quality, chroma if lr_format == "jpeg" else "420"


def lr_channel(lr_format: str, quality: int | None, chroma: str = "420") -> LRChannel:
    """The receiver's channel for an LR stored as ``lr_format`` at ``quality`` (``chroma`` sampling for JPEG).

    PNG: rounding to 8 bits. JPEG / WebP: the real codec's decoded pixels of the whole LR, with the gradient of the
    differentiable JPEG simulation (:func:`irncodec.train.jpeg.jpeg_simulate`; for WebP the JPEG gradient is a
    stand-in).
    """
    if lr_format == "png":
        return LRChannel(quantize)
    from irncodec.train.jpeg import jpeg_real, jpeg_simulate

    quality, sampling = _lossy(lr_format, quality, chroma)
    real = partial(jpeg_real, quality=quality, fmt=lr_format, chroma=chroma)
    return LRChannel(real, partial(jpeg_simulate, quality=quality, chroma=sampling), whole_frame=True)


def lr_rate(lr_format: str, quality: int | None, chroma: str = "420") -> Callable[[Tensor], Tensor] | None:
    """A differentiable estimate of the LR's bits per LR pixel (the JPEG estimate also stands in for WebP), or
    ``None`` for PNG, whose size the refinement leaves alone."""
    if lr_format == "png":
        return None
    from irncodec.train.jpeg import jpeg_rate

    quality, sampling = _lossy(lr_format, quality, chroma)
    return partial(jpeg_rate, quality=quality, chroma=sampling)


Box = tuple[int, int, int, int]  # top, bottom, left, right


def _windows(h: int, w: int, tile: int, overlap: int) -> list[tuple[Box, Box]]:
    """(core, window) boxes on the LR grid: cores of ``tile`` pixels cover the image once, each window adds
    ``overlap`` pixels of context on every side (clipped to the image)."""
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
    channel: LRChannel,
    steps: int,
    step_size: float = STEP_SIZE,
    rate: Callable[[Tensor], Tensor] | None = None,
    rate_weight: float = RATE_WEIGHT,
    tile: int = 256,
    overlap: int = 32,
    size: tuple[int, int] | None = None,
    grey: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Tensor:
    """The LR ``y`` (1 x 3 x h x w in [0, 1], on the 8-bit grid) after ``steps`` Adam steps per window on
    ``mse(net.upscale(channel(y), z), x) + rate_weight * rate(y)``, on the 8-bit grid.

    ``x`` is the HR (1 x 3 x sh x sw for the network's scale ``s``), ``z`` the latent the receiver will draw,
    ``size`` the HR rows and columns that count (the image without its padding; default all) and ``grey`` makes
    the error that of the channel means, as grey outputs are decoded. The step size follows a cosine from
    ``step_size`` towards zero. The LR is refined one window after another: each optimises its core of ``tile``
    LR pixels (a multiple of 16, so JPEG's blocks stay aligned) with ``overlap`` pixels of context held at their
    current values (neighbours already refined included), its error taken over the whole window's HR, and keeps
    the step (the starting LR included) whose loss was lowest, so no window ends worse than it started by that
    measure. A ``whole_frame`` channel's real pixels come from the whole LR, so codecs whose pixels depend on the
    frame are followed exactly. ``progress(done, total)`` counts window-steps. Only the LR gets a gradient (the
    network's weights and their ``.grad`` are left alone); the caller's tensors are not changed.
    """
    s = int(net.scale)
    if x.shape[-2:] != (s * y.shape[-2], s * y.shape[-1]):
        raise ValueError(f"HR {tuple(x.shape[-2:])} is not {s} x the LR {tuple(y.shape[-2:])}")
    if tile > 0 and (tile % _ALIGN or overlap % _ALIGN):
        raise ValueError(f"tile and overlap must be multiples of {_ALIGN}, got {tile} and {overlap}")
    rows, cols = size if size is not None else x.shape[-2:]
    out = y.detach().clone()
    boxes = _windows(y.shape[-2], y.shape[-1], tile, overlap)
    total, done = len(boxes) * steps, 0
    with torch.enable_grad():
        for (c0, c1, d0, d1), (t0, t1, l0, l1) in boxes:
            core = (slice(None), slice(None), slice(c0 - t0, c1 - t0), slice(d0 - l0, d1 - l0))
            target = x[:, :, t0 * s : t1 * s, l0 * s : l1 * s]
            mask = torch.zeros_like(target[:, :1])
            mask[:, :, : max(rows - t0 * s, 0), : max(cols - l0 * s, 0)] = 1.0
            if grey:
                target = target.mean(1, keepdim=True)
            zw = z[:, :, t0:t1, l0:l1].to(device=y.device, dtype=y.dtype)
            context = out[:, :, t0:t1, l0:l1]
            param = context[core].clone().requires_grad_(True)
            opt = torch.optim.Adam([param], lr=step_size)
            best, best_y = math.inf, param.detach().clone()
            for step in range(steps + 1):
                window = context.clone()
                window[core] = param.clamp(0.0, 1.0)
                if channel.whole_frame:
                    canvas = out.clone()
                    canvas[:, :, t0:t1, l0:l1] = window.detach()
                    received = channel.real(canvas)[:, :, t0:t1, l0:l1]
                else:  # a pointwise channel (8-bit rounding) needs only the window
                    received = channel.real(window.detach())
                sim = window if channel.simulate is None else channel.simulate(window)
                joint = torch.cat((sim + (received - sim).detach(), zw), dim=1)
                x_hat = net(joint.contiguous(memory_format=torch.channels_last), rev=True).clamp(0.0, 1.0)
                if grey:
                    x_hat = x_hat.mean(1, keepdim=True)
                loss = torch.sum(mask * (x_hat - target) ** 2) / (mask.sum() * x_hat.shape[1])
                if rate is not None and rate_weight:
                    loss = loss + rate_weight * rate(window)
                value = loss.item()
                if value < best:
                    best, best_y = value, param.detach().clone()
                if step == steps:
                    break
                for group in opt.param_groups:
                    group["lr"] = step_size * 0.5 * (1.0 + math.cos(math.pi * step / steps))
                (param.grad,) = torch.autograd.grad(loss, [param])  # no gradient for the network's weights
                opt.step()
                done += 1
                if progress is not None:
                    progress(done, total)
            out[:, :, c0:c1, d0:d1] = quantize(best_y)
    return out
