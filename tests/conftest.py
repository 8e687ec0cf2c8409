"""Shared fixtures: tiny random models registered in place of the shipped ones, and the Set5 images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from irncodec import registry
from irncodec.models import IRN

SET5 = Path(__file__).resolve().parents[2] / "shared" / "data" / "test" / "Set5"

TINY = {"blocks": 1, "growth": 4, "layers": 2}


def set5_image(name: str) -> Image.Image:
    """A Set5 image (for the shipped-weight floors); skipped where the data is absent, a failure in CI."""
    path = SET5 / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"test data missing in CI: {path}")
        pytest.skip(f"test data not found: {path}")
    return Image.open(path).convert("RGB")


def make_tiny_irn(scale: int, seed: int = 0) -> IRN:
    """A small IRN whose zero-initialised convs are randomised, so no block is the identity."""
    torch.manual_seed(seed)
    net = IRN(scale=scale, **TINY)
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0.0, 0.05)
    return net.eval()


def tiny_specs(folder: Path) -> dict[int, registry.ModelSpec]:
    """Write tiny random x2 and x4 weight files into ``folder`` and return their registry entries."""
    specs = {}
    for scale in (2, 4):
        path = folder / f"tiny-x{scale}.pt"
        torch.save(make_tiny_irn(scale, seed=scale).state_dict(), path)
        specs[scale] = registry.ModelSpec(
            id=f"tiny-x{scale}",
            arch="irn",
            kwargs={"scale": scale, **TINY},
            weights=str(path),
            sha256=registry.sha256_file(path),
            temperature=0.5,
        )
    return specs


@pytest.fixture
def tiny_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[int, registry.ModelSpec]:
    """Register tiny random x2 and x4 models (and only those) for the test."""
    specs = tiny_specs(tmp_path)
    monkeypatch.setattr(registry, "MODELS", tuple(specs.values()))
    return specs


@pytest.fixture
def photo() -> Image.Image:
    """A smooth 37x29 RGB test image with some texture (odd size on purpose)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:29, 0:37]
    base = np.stack([xx * 6, yy * 8, (xx + yy) * 3], axis=-1).astype(np.float64)
    img = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(img, mode="RGB")
