"""Bjontegaard deltas on curves whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.bd import bd_psnr, bd_rate

RATE = [0.2, 0.4, 0.8, 1.6, 3.2]
PSNR = [28.0, 31.0, 33.5, 35.5, 37.0]


def test_identical_curves_have_zero_deltas() -> None:
    assert bd_rate(RATE, PSNR, RATE, PSNR) == pytest.approx(0.0, abs=1e-9)
    assert bd_psnr(RATE, PSNR, RATE, PSNR) == pytest.approx(0.0, abs=1e-9)


def test_half_the_rate_is_minus_fifty_percent() -> None:
    assert bd_rate(RATE, PSNR, [r / 2 for r in RATE], PSNR) == pytest.approx(-50.0, abs=1e-6)


def test_one_db_better_is_plus_one() -> None:
    assert bd_psnr(RATE, PSNR, RATE, [p + 1 for p in PSNR]) == pytest.approx(1.0, abs=1e-6)
    assert bd_rate(RATE, PSNR, RATE, [p + 1 for p in PSNR]) < 0


def test_disjoint_curves_give_nan() -> None:
    assert math.isnan(bd_rate(RATE, PSNR, RATE, [p + 50 for p in PSNR]))
    assert math.isnan(bd_psnr(RATE, PSNR, [r * 100 for r in RATE], PSNR))


def test_a_long_sweep_fits_only_near_the_overlap() -> None:
    def quality(rate: np.ndarray) -> np.ndarray:  # a saturating RD curve, far from one cubic over a wide range
        return 40.0 - 18.0 * np.exp(-1.5 * rate)

    wide = np.array([0.05, 0.1, 0.2, 0.35, 0.6, 1.0, 1.8, 3.5])
    narrow = np.array([0.5, 0.7, 0.9, 1.2, 1.5])
    assert abs(bd_psnr(wide, quality(wide), narrow, quality(narrow))) < 0.05
    assert abs(bd_rate(wide, quality(wide), narrow, quality(narrow))) < 1.0
