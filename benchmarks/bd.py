"""Bjontegaard deltas (G. Bjontegaard, VCEG-M33, 2001): average rate and quality gaps between two RD curves."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["bd_psnr", "bd_rate"]


def _prepare(rate: Sequence[float], dist: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    r, d = np.log(np.asarray(rate, dtype=np.float64)), np.asarray(dist, dtype=np.float64)
    order = np.argsort(r)
    return r[order], d[order]


def _near(x: np.ndarray, y: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """The points of a sorted curve within [lo, hi] plus one neighbour outside on each side."""
    first = max(int(np.searchsorted(x, lo, side="right")) - 1, 0)
    last = min(int(np.searchsorted(x, hi, side="left")) + 1, len(x))
    return x[first:last], y[first:last]


def _integral_gap(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> float:
    """Mean of (fit2 - fit1) over the overlap of x1 and x2, with cubic fits y = f(x) (lower degree if few points)."""
    lo, hi = max(x1.min(), x2.min()), min(x1.max(), x2.max())
    if len(x1) < 2 or len(x2) < 2 or not hi > lo:
        return math.nan
    # Fit each curve only near the overlap (its points inside it plus the nearest one on each side):
    # one cubic through a long sweep (e.g. q5-q95 of a full-resolution codec) fits the overlap poorly.
    x1, y1 = _near(x1, y1, lo, hi)
    x2, y2 = _near(x2, y2, lo, hi)
    deg1, deg2 = min(3, len(x1) - 1), min(3, len(x2) - 1)
    p1 = np.polyint(np.polyfit(x1, y1, deg1))
    p2 = np.polyint(np.polyfit(x2, y2, deg2))
    area1 = np.polyval(p1, hi) - np.polyval(p1, lo)
    area2 = np.polyval(p2, hi) - np.polyval(p2, lo)
    return float((area2 - area1) / (hi - lo))


def bd_rate(
    rate_ref: Sequence[float], psnr_ref: Sequence[float], rate: Sequence[float], psnr: Sequence[float]
) -> float:
    """Average rate difference (%) of the test curve against the reference at equal quality.

    Negative means the test needs fewer bits. NaN when the quality ranges do not overlap.
    """
    r1, d1 = _prepare(rate_ref, psnr_ref)
    r2, d2 = _prepare(rate, psnr)
    o1, o2 = np.argsort(d1), np.argsort(d2)
    gap = _integral_gap(d1[o1], r1[o1], d2[o2], r2[o2])
    return math.nan if math.isnan(gap) else (math.exp(gap) - 1.0) * 100.0


def bd_psnr(
    rate_ref: Sequence[float], psnr_ref: Sequence[float], rate: Sequence[float], psnr: Sequence[float]
) -> float:
    """Average quality difference (dB) of the test curve against the reference at equal rate.

    Positive means the test is better. NaN when the rate ranges do not overlap.
    """
    r1, d1 = _prepare(rate_ref, psnr_ref)
    r2, d2 = _prepare(rate, psnr)
    return _integral_gap(r1, d1, r2, d2)
