"""Image quality metrics, following the protocols of the SR and IRN papers."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["psnr", "rgb_to_y", "ssim", "y_psnr"]


def psnr(a: Tensor, b: Tensor, peak: float = 1.0) -> float:
    """PSNR in dB between two tensors of floats in ``[0, peak]``; inf when equal."""
    mse = torch.mean((a.double() - b.double()) ** 2).item()
    return math.inf if mse == 0 else 10.0 * math.log10(peak * peak / mse)


def rgb_to_y(x: Tensor) -> Tensor:
    """BT.601 luma (the Matlab ``rgb2ycbcr`` Y in [16, 235] / 255) of N x 3 x H x W RGB in [0, 1]."""
    w = x.new_tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1)
    return (torch.sum(x * w, dim=1, keepdim=True) + 16.0) / 255.0


def _crop(x: Tensor, border: int) -> Tensor:
    return x[..., border : x.shape[-2] - border, border : x.shape[-1] - border] if border else x


def y_psnr(a: Tensor, b: Tensor, border: int) -> float:
    """PSNR on the Y channel with ``border`` pixels cropped on each side (the SR papers' protocol)."""
    ya = rgb_to_y(a) if a.shape[1] == 3 else a
    yb = rgb_to_y(b) if b.shape[1] == 3 else b
    return psnr(_crop(ya, border), _crop(yb, border))


def ssim(a: Tensor, b: Tensor, border: int = 0) -> float:
    """SSIM (Wang et al. 2004; 11x11 Gaussian window, sigma 1.5) averaged over channels, inputs in [0, 1]."""
    a, b = _crop(a.float(), border), _crop(b.float(), border)  # float32: ample for [0, 1] data
    c1, c2 = 0.01**2, 0.03**2
    g = torch.exp(-((torch.arange(11, dtype=torch.float32, device=a.device) - 5.0) ** 2) / (2 * 1.5**2))
    g = g / g.sum()
    ch = a.shape[1]
    row = g.view(1, 1, 1, 11).expand(ch, 1, 1, 11).contiguous()
    col = g.view(1, 1, 11, 1).expand(ch, 1, 11, 1).contiguous()

    def blur(t: Tensor) -> Tensor:  # separable 11x11 Gaussian, valid region only
        return F.conv2d(F.conv2d(t, row, groups=ch), col, groups=ch)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return s.mean().item()
