"""Metrics against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from irncodec.metrics import psnr, rgb_to_y, ssim, y_psnr


def test_psnr_of_a_known_error() -> None:
    a = torch.zeros(1, 3, 4, 4)
    assert psnr(a, a + 0.1) == pytest.approx(20.0)
    assert psnr(a, a) == math.inf


def test_bt601_luma_of_white_and_black() -> None:
    assert rgb_to_y(torch.ones(1, 3, 1, 1)).item() == pytest.approx(235 / 255, abs=1e-4)
    assert rgb_to_y(torch.zeros(1, 3, 1, 1)).item() == pytest.approx(16 / 255)


def test_y_psnr_crops_the_border() -> None:
    a = torch.full((1, 3, 10, 10), 0.5)
    b = a.clone()
    b[..., 0, :] = 0.0  # damage only the top row
    assert y_psnr(a, b, border=1) == math.inf
    assert y_psnr(a, b, border=0) < 40


def test_ssim_is_one_for_equal_images_and_drops_with_noise() -> None:
    torch.manual_seed(0)
    a = torch.rand(1, 3, 32, 32)
    assert ssim(a, a) == pytest.approx(1.0, abs=1e-5)
    assert ssim(a, (a + 0.2 * torch.randn_like(a)).clamp(0, 1)) < 0.9
