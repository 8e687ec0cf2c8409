"""The held-out RD tool measures on the training loop's validation photos and reports real JPEG sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.holdout_rd import bicubic_sr_rd, holdout_images
from irncodec.models.sr import EDSR


def test_holdout_images_are_the_last_by_name(tmp_path: Path) -> None:
    for i, value in enumerate([10, 20, 30]):
        Image.fromarray(np.full((8, 8, 3), value, dtype=np.uint8)).save(tmp_path / f"{i}.png")
    assert [int(im[0, 0, 0]) for im in holdout_images(tmp_path, holdout=2)] == [20, 30]


def test_bicubic_sr_rd_rate_grows_with_quality() -> None:
    rng = np.random.default_rng(0)
    image = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    sr = EDSR(scale=2, features=4, blocks=1).eval()
    torch.manual_seed(0)
    low, high = bicubic_sr_rd(sr, [image], 2, 30), bicubic_sr_rd(sr, [image], 2, 90)
    assert 0 < low[1] < high[1]
    assert np.isfinite(low[0]) and np.isfinite(high[0])
