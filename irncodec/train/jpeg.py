"""The lossy LR channel in the training loop: a differentiable stand-in whose forward value is the real codec's.

Compression-aware rescaling (SAIN, Yang et al., AAAI 2023; the IRN journal
version, Xiao et al., IJCV 2023) puts the lossy LR channel between the
forward and inverse passes. Here the forward value is the real codec's output
(Pillow's JPEG, or the codec's own WebP encode), and the gradient flows
through a differentiable simulation of baseline JPEG (BT.601 YCbCr, 4:2:0 or
4:4:4 chroma, 8x8 DCT, IJG quality-scaled tables, rounding replaced by a cubic soft
rounding), so the forward pass learns what the codec removes and the inverse
learns to undo exactly what the codec does. For WebP the JPEG simulation is a
proxy gradient: both quantise block transforms of 4:2:0 YCbCr.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from irncodec.imageio import encode_plane, jpeg_sampling
from irncodec.train.config import LR_CODECS

__all__ = [
    "RGB_TO_YCC",
    "YCC_TO_RGB",
    "jpeg_channel",
    "jpeg_decode",
    "jpeg_encode",
    "jpeg_rate",
    "jpeg_real",
    "jpeg_simulate",
    "quant_tables",
]

# ITU-T T.81 Annex K example tables (the IJG defaults), row-major 8x8.
_LUMA = [
    16,
    11,
    10,
    16,
    24,
    40,
    51,
    61,
    12,
    12,
    14,
    19,
    26,
    58,
    60,
    55,
    14,
    13,
    16,
    24,
    40,
    57,
    69,
    56,
    14,
    17,
    22,
    29,
    51,
    87,
    80,
    62,
    18,
    22,
    37,
    56,
    68,
    109,
    103,
    77,
    24,
    35,
    55,
    64,
    81,
    104,
    113,
    92,
    49,
    64,
    78,
    87,
    103,
    121,
    120,
    101,
    72,
    92,
    95,
    98,
    112,
    100,
    103,
    99,
]
_CHROMA = [
    17,
    18,
    24,
    47,
    99,
    99,
    99,
    99,
    18,
    21,
    26,
    66,
    99,
    99,
    99,
    99,
    24,
    26,
    56,
    99,
    99,
    99,
    99,
    99,
    47,
    66,
    99,
    99,
    99,
    99,
    99,
    99,
] + [99] * 32


def quant_tables(quality: int) -> tuple[Tensor, Tensor]:
    """IJG quality scaling of the Annex K tables: (luma, chroma), each 8 x 8, values in [1, 255]."""
    q = min(max(int(quality), 1), 100)
    scale = 5000 / q if q < 50 else 200 - 2 * q

    def scaled(table: list[int]) -> Tensor:
        t = torch.tensor(table, dtype=torch.float32).view(8, 8)
        return torch.clamp(torch.floor((t * scale + 50) / 100), 1, 255)

    return scaled(_LUMA), scaled(_CHROMA)


def _dct_matrix() -> Tensor:
    k = torch.arange(8, dtype=torch.float64)
    m = torch.cos((2 * k[None, :] + 1) * k[:, None] * math.pi / 16) * 0.5
    m[0] /= math.sqrt(2)
    return m.float()  # orthonormal: m @ m.T == I


_DCT = _dct_matrix()
# BT.601 full-range RGB -> YCbCr (rows Y, Cb, Cr), as JPEG uses it; per unit RGB
RGB_TO_YCC = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
YCC_TO_RGB = torch.linalg.inv(RGB_TO_YCC)


def _soft_round(x: Tensor) -> Tensor:
    r = torch.round(x)
    return r + (x - r) ** 3


def _blocks(plane: Tensor) -> Tensor:
    """N x 1 x H x W (H, W multiples of 8) as N x H/8 x W/8 x 8 x 8 blocks."""
    n, _, h, w = plane.shape
    return plane.view(n, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4)


def _unblock(blocks: Tensor) -> Tensor:
    n, bh, bw = blocks.shape[:3]
    return blocks.permute(0, 1, 3, 2, 4).reshape(n, 1, bh * 8, bw * 8)


def _quantize_plane(plane: Tensor, table: Tensor) -> Tensor:
    """DCT, quantise, dequantise, inverse DCT of N x 1 x H x W (H, W multiples of 8), values centred at 0."""
    dct = _DCT.to(plane)
    coef = dct @ _blocks(plane) @ dct.T
    coef = _soft_round(coef / table.to(plane)) * table.to(plane)
    return _unblock(dct.T @ coef @ dct)


def _planes(x: Tensor, quality: int, chroma: str = "420") -> list[tuple[Tensor, Tensor]]:
    """The three planes JPEG codes (Y at full size, Cb and Cr averaged 2 x 2 for 4:2:0, centred at 0) with their
    tables, for N x 3 x H x W RGB in [0, 1] padded to a multiple of 16 as the codec does."""
    pool = 1 if jpeg_sampling(chroma) else 2  # 4:4:4 (Pillow told to sample 1:1) keeps full-size chroma
    h, w = x.shape[-2:]
    xp = F.pad(x, (0, (-w) % 16, 0, (-h) % 16), mode="replicate") * 255.0
    ycc = torch.einsum("ij,njhw->nihw", RGB_TO_YCC.to(xp), xp)
    luma_t, chroma_t = quant_tables(quality)
    return [(ycc[:, :1] - 128.0, luma_t)] + [(F.avg_pool2d(ycc[:, c : c + 1], pool), chroma_t) for c in (1, 2)]


def jpeg_simulate(x: Tensor, quality: int, chroma: str = "420") -> Tensor:
    """Differentiable approximation of baseline JPEG (``chroma`` sampling 4:2:0 or 4:4:4) on N x 3 x H x W RGB
    in [0, 1]."""
    h, w = x.shape[-2:]
    (luma, luma_t), *planes = _planes(x, quality, chroma)
    y = _quantize_plane(luma, luma_t) + 128.0
    up = [_quantize_plane(p, t) for p, t in planes]
    if chroma == "420":
        up = [F.interpolate(p, scale_factor=2, mode="bilinear", align_corners=False) for p in up]
    rgb = torch.einsum("ij,njhw->nihw", YCC_TO_RGB.to(y), torch.cat([y, *up], dim=1)) / 255.0
    return rgb[..., :h, :w].clamp(0.0, 1.0)


def jpeg_rate(x: Tensor, quality: int, chroma: str = "420") -> Tensor:
    """A differentiable estimate of JPEG's bits per pixel for N x 3 x H x W RGB in [0, 1] (mean over the batch).

    Each quantised AC coefficient c (before rounding) counts log2(1 + |c|) bits, a smooth stand-in for the
    magnitude category plus sign bits of the Huffman coder; zero runs and the DC term are left out. The value is
    a proxy that tracks the real file size (see the tests), used as a rate term in training.
    """
    bits = x.new_zeros(())
    dct = _DCT.to(x)
    ac = torch.ones(8, 8, device=x.device)
    ac[0, 0] = 0.0
    for plane, table in _planes(x.float(), quality, chroma):
        coef = dct @ _blocks(plane) @ dct.T / table.to(plane)
        bits = bits + (torch.log2(1.0 + coef.abs()) * ac).sum()
    return bits / (x.shape[0] * x.shape[-2] * x.shape[-1])


def _uint8_images(x: Tensor) -> list[Image.Image]:
    pixels = x.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    return [Image.fromarray(img) for img in pixels]


def jpeg_encode(x: Tensor, quality: int, fmt: str = "jpeg", chroma: str = "420") -> list[bytes]:
    """The codec's file (:func:`irncodec.imageio.encode_plane`, JPEG or WebP; ``chroma`` sampling for JPEG) of
    each image of N x 3 x H x W in [0, 1], rounded to 8 bits first."""
    return [encode_plane(im, fmt, int(quality), chroma) for im in _uint8_images(x)]


def jpeg_decode(files: list[bytes], device: torch.device | str = "cpu") -> Tensor:
    """N x 3 x H x W float in [0, 1] from image files (JPEG or WebP) of one size."""
    out = [np.asarray(Image.open(io.BytesIO(f)).convert("RGB")) for f in files]
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).to(device, torch.float32).div(255.0)


def jpeg_real(x: Tensor, quality: int, fmt: str = "jpeg", chroma: str = "420") -> Tensor:
    """The real codec's encode + decode of each image of N x 3 x H x W in [0, 1] (no gradient).

    JPEG takes Pillow's default file, whose pixels equal the codec's (which only picks smaller Huffman coding),
    without the codec's second encode spent on the file size. WebP takes the codec's own encode, since its
    encoder settings change the pixels.
    """
    if fmt not in LR_CODECS:
        raise ValueError(f"unknown lossy LR codec {fmt!r}; known: {', '.join(LR_CODECS)}")
    sampling = jpeg_sampling(chroma)
    if fmt != "jpeg" and sampling:
        raise ValueError(f"chroma sampling {chroma!r} is not one of {fmt}'s")
    if fmt != "jpeg":
        return jpeg_decode(jpeg_encode(x, quality, fmt), x.device)
    files = []
    for im in _uint8_images(x):
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=int(quality), **sampling)
        files.append(buf.getvalue())
    return jpeg_decode(files, x.device)


def jpeg_channel(x: Tensor, quality: int, fmt: str = "jpeg", chroma: str = "420") -> Tensor:
    """The real codec's pixels (JPEG or WebP; JPEG with ``chroma`` sampling) in the forward pass, the JPEG
    simulation's gradient in the backward pass."""
    sim = jpeg_simulate(x.float(), quality, chroma)
    return sim + (jpeg_real(x, quality, fmt, chroma) - sim).detach()
