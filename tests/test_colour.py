"""The colour-detail benchmark: a fixed synthetic set, and chroma PSNR that sees colour but not luma errors."""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.colour import chroma_psnr, graphics, measure
from irncodec.models import IRN
from tests.conftest import make_tiny_irn


def test_graphics_are_fixed_and_coloured() -> None:
    first, second = graphics(), graphics()
    assert list(first) == list(second)
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert all(im.shape[0] % 4 == 0 and im.shape[1] % 4 == 0 for im in first.values())
    grey = first["text grey/white"].astype(int)
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1], grey[..., 2])
    red = first["text red/white"].astype(int)
    assert (red[..., 0] - red[..., 1]).max() > 150


def test_chroma_psnr_ignores_a_grey_error_and_sees_a_colour_one() -> None:
    x = torch.rand(1, 3, 16, 16)
    assert chroma_psnr(x + 0.05, x) > 60  # the same change in R, G and B moves only luma
    tinted = x.clone()
    tinted[:, 0] += 0.05
    assert 20 < chroma_psnr(tinted, x) < 40


def test_measure_scores_each_model_and_bicubic() -> None:
    net = make_tiny_irn(2)  # randomised couplings
    rows = measure({"tiny": net}, {"green sinusoid p16": graphics()["green sinusoid p16"]}, 2)
    assert [r["image"] for r in rows] == ["green sinusoid p16"]
    assert set(rows[0]) == {"image", "tiny", "bicubic"}
    other = IRN(scale=2, blocks=1, growth=4).eval()  # untrained: Haar down and up
    (two,) = measure({"tiny": net, "haar": other}, {"s": graphics()["green sinusoid p16"]}, 2)
    assert two["pick"] == max(two["tiny"], two["haar"], key=lambda r: r["rgb"])
    assert rows[0]["bicubic"]["rgb"] > 40  # the sinusoid is well below the LR's Nyquist limit
    assert all(np.isfinite(v) for v in rows[0]["tiny"].values())
