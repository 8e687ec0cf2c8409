"""Encoder-side LR refinement: it lowers the error it measures, keeps the LR on the 8-bit grid, leaves the network
alone, never ships a worse file, and keeps budgets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from irncodec import codec
from irncodec.cli import main
from irncodec.codec import Decoder, Encoder
from irncodec.refine import _windows, lr_channel, refine_lr
from irncodec.rescale import downscale, quantize, sample_z, upscale
from tests.conftest import make_tiny_irn


def _scene(h: int = 48, w: int = 64) -> torch.Tensor:
    gen = torch.Generator().manual_seed(5)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    base = torch.stack([xx, yy, (xx + yy) / 2])[None]
    return (base + 0.1 * torch.randn(1, 3, h, w, generator=gen)).clamp(0, 1)


def _decoded_mse(data: bytes, image: Image.Image) -> float:
    out = np.asarray(Decoder(device="cpu").decode(data).convert("RGB"), dtype=np.float64)
    return float(np.mean((out - np.asarray(image.convert("RGB"), dtype=np.float64)) ** 2))


@pytest.mark.parametrize("tile", [0, 16])
def test_refinement_lowers_the_error_and_leaves_the_network_alone(tile: int) -> None:
    net = make_tiny_irn(2, seed=1)
    x = _scene()
    y = downscale(net, x)
    z = sample_z((1, net.latent_channels, *y.shape[-2:]), seed=3, temperature=0.1)
    weights = {k: v.clone() for k, v in net.state_dict().items()}
    y_before = y.clone()
    refined = refine_lr(net, x, y, z, lr_channel("png", None), steps=15, step_size=4e-3, tile=tile, overlap=16)
    with torch.no_grad():
        err = [torch.mean((upscale(net, v, z) - x) ** 2).item() for v in (y, refined)]
    assert err[1] < 0.95 * err[0]
    assert torch.equal(refined, quantize(refined))  # the LR stays an 8-bit image
    assert torch.equal(y, y_before)
    assert all(torch.equal(v, weights[k]) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())


def test_refinement_windows_cover_the_image_once_on_the_jpeg_grid() -> None:
    h, w = 70, 45
    count = np.zeros((h, w), dtype=int)
    for (c0, c1, d0, d1), (t0, t1, l0, l1) in _windows(h, w, tile=32, overlap=16):
        count[c0:c1, d0:d1] += 1
        assert t0 % 16 == 0 and l0 % 16 == 0 and t0 <= c0 and c1 <= t1 and l0 <= d0 and d1 <= l1
    assert (count == 1).all()
    y, z, png = torch.zeros(1, 3, 24, 32), torch.zeros(1, 9, 24, 32), lr_channel("png", None)
    with pytest.raises(ValueError, match="multiples of 16"):
        refine_lr(make_tiny_irn(2), _scene(), y, z, png, 1, tile=20)
    with pytest.raises(ValueError, match="is not 2 x the LR"):
        refine_lr(make_tiny_irn(2), _scene(), y[..., :-1], z[..., :-1], png, 1)


@pytest.mark.parametrize("chroma", ["420", "444"])
def test_refinement_through_real_jpeg_lowers_the_real_error(chroma: str) -> None:
    net = make_tiny_irn(2, seed=2)
    x = _scene(64, 64)
    y = downscale(net, x)
    z = torch.zeros(1, net.latent_channels, *y.shape[-2:])
    channel = lr_channel("jpeg", 75, chroma)
    refined = refine_lr(net, x, y, z, channel, steps=10, step_size=4e-3, tile=16, overlap=16)
    with torch.no_grad():
        err = [torch.mean((upscale(net, channel.real(v), z) - x) ** 2).item() for v in (y, refined)]
    assert err[1] < 0.98 * err[0]


def test_lossy_channel_needs_a_quality() -> None:
    with pytest.raises(ValueError, match="quality"):
        lr_channel("jpeg", None)


@pytest.mark.parametrize("lr_format", ["png", "jpeg"])
def test_encoder_refinement_is_never_worse_and_png_gets_better(
    tiny_models: dict, photo: Image.Image, lr_format: str
) -> None:
    enc = Encoder(device="cpu")
    plain = enc.encode(photo, lr_format=lr_format, quality=75 if lr_format == "jpeg" else None)
    refined = enc.encode(photo, lr_format=lr_format, quality=75 if lr_format == "jpeg" else None, refine=8)
    assert _decoded_mse(refined, photo) <= _decoded_mse(plain, photo)
    if lr_format == "png":
        assert refined != plain and _decoded_mse(refined, photo) < _decoded_mse(plain, photo)


def test_a_refinement_that_hurts_is_thrown_away(
    tiny_models: dict, photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ruin(self: Encoder, analysis, *args, **kwargs):
        return dataclasses.replace(analysis, lr=np.zeros_like(analysis.lr))

    monkeypatch.setattr(Encoder, "refine", ruin)
    enc = Encoder(device="cpu")
    assert enc.encode(photo, refine=3) == enc.encode(photo)


def test_encoder_refines_in_windows_and_grey_inputs_too(
    tiny_models: dict, photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(codec, "REFINE_WINDOW", 32)  # x2: 16 LR pixels a side, two windows for 37 x 29
    enc, calls = Encoder(device="cpu"), []
    for image in (photo, photo.convert("L")):
        analysis = enc.analyze(image)
        refined = enc.refine(analysis, 6, progress=lambda done, total: calls.append((done, total)))
        files = [enc.package(a) for a in (analysis, refined)]
        assert enc._error(files[1], analysis.spec, analysis.image) < enc._error(files[0], analysis.spec, analysis.image)
    assert calls[-1] == (12, 12)


def test_budget_refinement_stays_within_the_budget(tiny_models: dict, photo: Image.Image) -> None:
    enc = Encoder(device="cpu")
    budget = len(enc.encode(photo, lr_format="jpeg", quality=60))
    data, quality = enc.encode_to_budget(photo, budget, lr_format="jpeg", refine=5)
    plain, plain_quality = enc.encode_to_budget(photo, budget, lr_format="jpeg")
    assert len(data) <= budget and quality == plain_quality
    assert _decoded_mse(data, photo) <= _decoded_mse(plain, photo)


def test_a_refined_file_over_the_budget_is_thrown_away(
    tiny_models: dict, photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    enc = Encoder(device="cpu")
    budget = len(enc.encode(photo, lr_format="jpeg", quality=60))
    plain = enc.encode_to_budget(photo, budget, lr_format="jpeg")
    rng = np.random.default_rng(0)

    def noisy(self: Encoder, analysis, *args, **kwargs):
        return dataclasses.replace(analysis, lr=rng.integers(0, 256, analysis.lr.shape, dtype=np.uint8))

    scores = iter(range(100, 0, -1))  # every later file would look better, so only the budget can refuse it
    monkeypatch.setattr(Encoder, "refine", noisy)
    monkeypatch.setattr(Encoder, "_error", lambda *args: float(next(scores)))
    assert enc.encode_to_budget(photo, budget, lr_format="jpeg", refine=3) == plain


def test_cli_refine_reports_its_steps(tiny_models: dict, photo: Image.Image, tmp_path: Path) -> None:
    src, out = tmp_path / "photo.png", tmp_path / "photo.irn"
    photo.save(src)
    res = CliRunner().invoke(main, ["encode", str(src), "-o", str(out), "--refine", "3", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert "refine steps: 3/3" in res.stderr
    assert _decoded_mse(out.read_bytes(), photo) <= _decoded_mse(Encoder(device="cpu").encode(photo), photo)
