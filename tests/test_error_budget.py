"""The error budget splits a model's reconstruction error between the dropped latent and the 8-bit LR."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.error_budget import error_budget
from irncodec.models import IRN


def test_an_untrained_irn_loses_the_detail_bands_not_the_lr_bits() -> None:
    # A fresh IRN is the Haar transform: y is the 2x2 mean, z the detail bands, so dropping z costs the
    # image's detail, while the true z recovers it from the 8-bit y to within one 8-bit level.
    net = IRN(scale=2, blocks=1, growth=4).eval()
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
    budget = error_budget(net, [image])
    assert budget["psnr 8-bit y, true z"] > 45.0
    assert budget["psnr exact y, z=0"] < 20.0
    assert budget["psnr 8-bit y, z=0"] == pytest.approx(budget["psnr exact y, z=0"], abs=0.5)
    assert budget["lr psnr vs bicubic"] > 15.0 and budget["z rms"] > 0.05
    # over two images the worst is reported beside the mean: the low-contrast one has an LR nearer bicubic
    pair = error_budget(net, [image, image // 8])
    assert pair["lr psnr vs bicubic, worst image"] == pytest.approx(budget["lr psnr vs bicubic"], abs=1e-3)
    assert pair["lr psnr vs bicubic"] > budget["lr psnr vs bicubic"] + 1.0
