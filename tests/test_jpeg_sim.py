"""The differentiable JPEG stand-in used by compression-aware training."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from irncodec.imageio import encode_plane, read_plane
from irncodec.metrics import psnr
from irncodec.train.jpeg import jpeg_channel, jpeg_encode, jpeg_rate, jpeg_real, jpeg_simulate, quant_tables


def _uint8(x: torch.Tensor) -> Image.Image:
    return Image.fromarray(x[0].mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy())


def _image() -> torch.Tensor:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:56] / 20.0
    base = np.stack([np.sin(xx * 2 + yy), np.cos(yy * 3), np.sin(xx * yy)], 0) * 0.35 + 0.5
    return torch.from_numpy(np.clip(base + rng.normal(0, 0.03, base.shape), 0, 1)).float()[None]


def test_quant_tables_follow_ijg_scaling() -> None:
    luma, chroma = quant_tables(50)
    assert luma[0, 0] == 16 and chroma[0, 0] == 17
    assert quant_tables(100)[0].max() == 1
    assert (quant_tables(10)[0] >= quant_tables(90)[0]).all()


@pytest.mark.parametrize("chroma", ["420", "444"])
@pytest.mark.parametrize("quality", [30, 75, 95])
def test_simulation_tracks_the_real_codec(quality: int, chroma: str) -> None:
    x = _image()
    real, sim = jpeg_real(x, quality, chroma=chroma), jpeg_simulate(x, quality, chroma)
    assert psnr(sim, real) > psnr(x, real) + 3.0 or psnr(sim, real) > 38.0
    assert psnr(sim, real) > 30.0


def test_444_keeps_the_chroma_detail_that_420_drops() -> None:
    x = _image()
    x = torch.cat([x[:, :1], 1.0 - x[:, :1], x[:, 2:]], dim=1)  # strong chroma at the pixel scale
    files = {c: jpeg_encode(x, 90, chroma=c)[0] for c in ("420", "444")}
    # (component, horizontal, vertical sampling, table): luma sampled 2 x 2 against chroma's 1 x 1 means 4:2:0
    assert Image.open(io.BytesIO(files["444"])).layer[0][1:3] == (1, 1)
    assert Image.open(io.BytesIO(files["420"])).layer[0][1:3] == (2, 2) and len(files["444"]) > len(files["420"])
    assert psnr(jpeg_real(x, 90, chroma="444"), x) > psnr(jpeg_real(x, 90, chroma="420"), x) + 1.0
    with pytest.raises(ValueError, match="chroma"):
        jpeg_real(x, 90, "webp", "444")
    with pytest.raises(ValueError, match="chroma"):
        encode_plane(_uint8(x), "jpeg", 90, "422")


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_channel_has_real_values_and_simulated_gradient(fmt: str) -> None:
    x = _image().requires_grad_(True)
    out = jpeg_channel(x, 60, fmt)
    torch.testing.assert_close(out.detach(), jpeg_real(x, 60, fmt))
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_webp_channel_is_the_codecs_webp() -> None:
    x = _image()
    real = jpeg_real(x, 60, "webp")
    im = _uint8(x)
    pixels = read_plane(encode_plane(im, "webp", 60), "webp", im.size, "RGB", "LR")
    torch.testing.assert_close(real, torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255.0)
    assert psnr(real, jpeg_real(x, 60)) < 60.0  # not JPEG's pixels
    with pytest.raises(ValueError, match="unknown lossy LR codec"):
        jpeg_real(x, 60, "avif")


def test_rate_estimate_orders_images_and_qualities_as_the_real_files_do() -> None:
    x = _image()
    smooth = torch.nn.functional.avg_pool2d(x, 5, stride=1, padding=2, count_include_pad=False)
    sizes = {(name, q): len(jpeg_encode(img, q)[0]) for name, img in (("x", x), ("smooth", smooth)) for q in (40, 90)}
    rates = {(name, q): float(jpeg_rate(img, q)) for name, img in (("x", x), ("smooth", smooth)) for q in (40, 90)}
    for q in (40, 90):
        assert sizes[("smooth", q)] < sizes[("x", q)] and rates[("smooth", q)] < rates[("x", q)]
    for name in ("x", "smooth"):
        assert sizes[(name, 40)] < sizes[(name, 90)] and rates[(name, 40)] < rates[(name, 90)]
    # Within a factor of 5 of the real bits per pixel (zero runs and DC are left out of the estimate; the
    # headers are taken out of the file by subtracting the size of a flat image's file).
    flat = len(jpeg_encode(torch.full_like(x, 0.5), 90)[0])
    real_bpp = 8 * (sizes[("x", 90)] - flat) / (x.shape[-2] * x.shape[-1])
    assert real_bpp / 5 < rates[("x", 90)] < real_bpp


def test_rate_estimate_has_a_gradient_that_lowers_it() -> None:
    x = _image().requires_grad_(True)
    rate = jpeg_rate(x, 75)
    rate.backward()
    with torch.no_grad():
        assert float(jpeg_rate(x - 0.01 * x.grad / x.grad.abs().max(), 75)) < float(rate)
