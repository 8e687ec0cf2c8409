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
    assert "BD-rate" in (out / "bd.md").read_text()


def test_format_flags_take_comma_lists_and_reject_unknown_names() -> None:
    from benchmarks.rd import _names

    parser = argparse.ArgumentParser(prog="rd")
    known = ("jpeg", "webp", "avif")
    assert _names(parser, "--full-format", None, known) == known
    assert _names(parser, "--full-format", ["webp,avif", "jpeg"], known) == ("webp", "avif", "jpeg")
    with pytest.raises(SystemExit) as err:
        _names(parser, "--full-format", ["webp,heic"], known)
    assert err.value.code == 2
