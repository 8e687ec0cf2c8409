"""The RD benchmark end to end on one small image with tiny models: files, families, BD table."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from irncodec import registry
from irncodec.models.sr import EDSR


@pytest.fixture
def tiny_sr(tiny_models: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tiny-sr-x2.pt"
    torch.save(EDSR(scale=2, features=8, blocks=1).state_dict(), path)
    spec = registry.ModelSpec(
        id="tiny-sr-x2",
        arch="edsr",
        kwargs={"scale": 2, "features": 8, "blocks": 1},
        weights=str(path),
        sha256=registry.sha256_file(path),
        kind="sr-baseline",
    )
    # A lossless model for PNG and a "compression-aware" one for lossy LRs, as the shipped registry has.
    lossless = dataclasses.replace(tiny_models[2], lr_formats=("png",))
    aware = dataclasses.replace(tiny_models[2], id="tiny-x2-lossy", lr_formats=("jpeg", "webp"))
    monkeypatch.setattr(registry, "MODELS", (lossless, aware, spec))


def test_rd_benchmark_writes_every_output(tiny_sr: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import rd

    data = tmp_path / "data" / "Tiny"
    data.mkdir(parents=True)
    yy, xx = np.mgrid[0:40, 0:52]
    img = np.stack([xx * 4, yy * 5, (xx + yy) * 2], -1).astype(np.uint8)
    Image.fromarray(img).save(data / "a.png")
    out = tmp_path / "out"
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "rd",
            "--data",
            str(tmp_path / "data"),
            "--dataset",
            "Tiny",
            "--scale",
            "2",
            "--qualities",
            "40,60,80,95",
            "--out",
            str(out),
            "--full-qualities",
            "10,40,70,95",
            "--jobs",
            "1",
            "--stock",
            "jpeg",
        ],
    )
    rd.main()
    with open(out / "per_image.csv") as fh:
        rows = list(csv.DictReader(fh))
    families = {r["family"] for r in rows}
    assert families == {"irncodec", "stock-irn", "bicubic", "bicubic+sr", "full-resolution"}
    irn = [r for r in rows if r["method"] == "irncodec-png"]
    assert len(irn) == 1 and int(irn[0]["bytes"]) > 0
    result = json.loads((out / "Tiny-x2" / "irncodec-jpeg.json").read_text())
    assert len(result["results"]["bpp"]) == 4 and len(result["results"]["psnr-rgb"]) == 4
    assert (out / "Tiny-x2.png").stat().st_size > 1000
    bd = json.loads((out / "bd.json").read_text())
    assert {(r["method"], r["baseline"]) for r in bd} >= {
        ("irncodec-jpeg", "jpeg-full"),
        ("irncodec-jpeg", "bicubic-jpeg-sr"),
        ("irncodec-jpeg", "stock-irn-jpeg"),
    }
    assert ("irncodec-jpeg", "bicubic-webp-sr") not in {(r["method"], r["baseline"]) for r in bd}
    text = (out / "bd.md").read_text()
    assert "BD-rate" in text
    # every measured point's mean is listed, lossless ones and each quality of a curve
    means = result["results"]
    k = means["quality"].index(80)
    assert f"| Tiny | x2 | irncodec-jpeg | 80 | {means['bpp'][k]:.3f} | {means['psnr-rgb'][k]:.2f} |" in text
    assert "| Tiny | x2 | irncodec-png | lossless |" in text


def test_format_flags_take_comma_lists_and_reject_unknown_names() -> None:
    from benchmarks.rd import _names

    parser = argparse.ArgumentParser(prog="rd")
    known = ("jpeg", "webp", "avif")
    assert _names(parser, "--full-format", None, known) == known
    assert _names(parser, "--full-format", ["webp,avif", "jpeg"], known) == ("webp", "avif", "jpeg")
    with pytest.raises(SystemExit) as err:
        _names(parser, "--full-format", ["webp,heic"], known)
    assert err.value.code == 2


def test_a_444_model_brings_444_jpeg_baselines_and_sends_stock_irn_through_the_same_jpeg(
    tiny_sr: None, tiny_models: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.rd import Setup, build_methods, default_baseline_chroma
    from irncodec.codec import Encoder

    lossless, aware, sr = registry.MODELS
    low = dataclasses.replace(aware, lr_formats=("jpeg",), lr_qualities=(0, 80))
    high = dataclasses.replace(aware, id="tiny-x2-444", lr_formats=("jpeg",), lr_qualities=(81, 100), lr_chroma="444")
    monkeypatch.setattr(registry, "MODELS", (lossless, low, high, sr, tiny_models[4]))
    assert default_baseline_chroma((2,)) == ("420", "444") and default_baseline_chroma((4,)) == ("420",)
    setup = Setup(
        scales=(2,),
        lr_formats=("jpeg",),
        full_formats=("jpeg", "webp"),
        qualities=(50, 95),
        full_qualities=(50,),
        baseline_chroma=("420", "444"),
    )
    methods = {m.name: m for _, m in build_methods(setup)[0]}
    assert set(methods) == {
        "irncodec-jpeg",
        "stock-irn-jpeg",
        "jpeg-full",
        "jpeg-full-444",
        "webp-full",
        "bicubic-jpeg-bicubic",
        "bicubic-jpeg-444-bicubic",
        "bicubic-jpeg-sr",
        "bicubic-jpeg-444-sr",
    }
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)
    enc = Encoder(device="cpu")
    analysis = enc.analyze(Image.fromarray(rgb), 2, "jpeg", lossless.id)
    sizes = {(q, c): len(enc.package(analysis, "jpeg", q, lr_chroma=c)) for q in (50, 95) for c in ("420", "444")}
    assert sizes[(95, "444")] != sizes[(95, "420")]
    stock = methods["stock-irn-jpeg"].sweep(rgb, [50, 95])
    assert [p.nbytes for p in stock] == [sizes[(50, "420")], sizes[(95, "444")]]
    for plain, full in (("bicubic-jpeg-bicubic", "bicubic-jpeg-444-bicubic"), ("jpeg-full", "jpeg-full-444")):
        (a,), (b,) = methods[plain].sweep(rgb, [95]), methods[full].sweep(rgb, [95])
        assert b.nbytes > a.nbytes  # the 4:4:4 baselines really write 4:4:4
    # by default, 4:4:4 baselines only at the scales where the codec writes 4:4:4
    auto = dataclasses.replace(setup, scales=(2, 4), baseline_chroma=None)
    names = {(s, m.name) for s, m in build_methods(auto)[0]}
    assert (2, "bicubic-jpeg-444-sr") in names and (None, "jpeg-full-444") in names
    assert not any(s == 4 and "444" in n for s, n in names)
