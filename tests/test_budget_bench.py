"""The budget benchmark measures real files per scale, and auto keeps the better of x2 and x4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.budget import MODES, measure, summarize
from irncodec.codec import Decoder, Encoder


def test_measure_meets_the_budget_and_auto_is_the_better_scale(tiny_models: dict) -> None:
    image = Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 96, 3), dtype=np.uint8))
    result = measure(Encoder(device="cpu"), Decoder(device="cpu"), image, 3.0, "jpeg")
    assert set(result) == set(MODES)
    assert result["x2"]["scale"] == 2 and result["x4"]["scale"] == 4
    for r in result.values():
        assert r["bpp"] <= 3.0 and 0 <= r["quality"] <= 100 and np.isfinite(r["psnr"])
    assert result["auto"]["psnr"] == pytest.approx(max(result["x2"]["psnr"], result["x4"]["psnr"]), abs=1e-6)
    assert measure(Encoder(device="cpu"), Decoder(device="cpu"), image, 0.01, "jpeg") == dict.fromkeys(MODES)


def test_summary_averages_only_images_every_mode_met() -> None:
    def fit(psnr: float, scale: int) -> dict:
        return {"bpp": 0.2, "scale": scale, "psnr": psnr, "seconds": 1.0}

    rows = [
        {"target_bpp": 0.2, "x2": fit(20.0, 2), "x4": fit(19.0, 4), "auto": fit(20.0, 2)},
        {"target_bpp": 0.2, "x2": None, "x4": fit(10.0, 4), "auto": fit(10.0, 4)},
    ]
    table = {t["mode"]: t for t in summarize(rows)}
    assert table["x2"]["psnr"] == 20.0 and table["x2"]["missed"] == 1 and table["x2"]["images"] == 1
    assert table["x4"]["psnr"] == 19.0 and table["x4"]["missed"] == 0
    assert table["auto"]["x4_share"] == 0.5


def test_pick_band_benchmark_compares_the_registry_with_and_without_pick_bands(
    tiny_models: dict, photo: Image.Image, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An untrained IRN (Haar down and up) as the 4:2:0 default of q0-60 that is also an alternative over 61-100,
    beside a randomised model serving 61-100: with the band a roomy budget comes back from the untrained one above
    q60 and decodes closer; without it that model stops at q60; the shipped registry is restored."""
    import dataclasses

    import torch

    from benchmarks.pick_band import measure as measure_pick_band
    from irncodec import registry
    from irncodec.models import IRN
    from tests.conftest import TINY

    weights = tmp_path / "untrained.pt"
    torch.save(IRN(scale=2, **TINY).state_dict(), weights)
    low = dataclasses.replace(
        tiny_models[2], id="tiny-haar", weights=str(weights), sha256=registry.sha256_file(weights), temperature=0.0
    )
    low = dataclasses.replace(low, lr_formats=("jpeg",), lr_qualities=(0, 60), pick_qualities=(61, 100))
    high = dataclasses.replace(tiny_models[2], lr_formats=("jpeg",), lr_qualities=(61, 100))
    models = (low, high)
    monkeypatch.setattr(registry, "MODELS", models)
    path = tmp_path / "p.png"
    photo.save(path)
    (row,) = measure_pick_band([path], 2, [24.0])  # room for every file
    assert registry.MODELS is models
    assert row["with"]["model"] == "tiny-haar" and row["with"]["quality"] > 60
    assert row["without"]["model"] != "tiny-haar" or row["without"]["quality"] <= 60
    assert row["with"]["psnr"] > row["without"]["psnr"]
    assert row["with"]["bpp"] <= 24.0 and row["without"]["bpp"] <= 24.0
