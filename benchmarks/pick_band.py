"""What the 4:2:0 models' alternative band (``ModelSpec.pick_qualities``) buys byte budgets.

    python -m benchmarks.pick_band --scale 2 --bpp 0.45,0.5,0.55 --out results/pick-band-x2.json
    python -m benchmarks.pick_band --scale 4 --bpp 0.13,0.15,0.17 --out results/pick-band-x4.json

Each photo the training loop holds out (never a test set) is encoded to each budget with
:meth:`irncodec.Encoder.encode_to_budget` twice, JPEG LR: with the registry as shipped, and with every
``pick_qualities`` removed (the default 4:2:0 model then serves only its own band), each by
:func:`benchmarks.budget.measure`, which decodes the file with :class:`irncodec.Decoder`. Per budget it prints
the mean RGB PSNR of each, how many photos changed model or quality, and writes one JSON row per photo and budget.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.budget import measure as measure_budget
from benchmarks.holdout_rd import holdout_paths
from irncodec import registry
from irncodec.codec import Decoder, Encoder

__all__ = ["measure"]


def _without_pick_bands(models: tuple[registry.ModelSpec, ...]) -> tuple[registry.ModelSpec, ...]:
    return tuple(dataclasses.replace(m, pick_qualities=None) if m.pick_qualities else m for m in models)


def measure(paths: list[Path], scale: int, bpps: list[float]) -> list[dict]:
    """One row per photo and budget: :func:`benchmarks.budget.measure`'s file bpp, quality, model and RGB PSNR at
    ``scale``, with and without the pick bands (``None`` where no file fits)."""
    enc, dec = Encoder(device="cpu"), Decoder(device="cpu")
    shipped = registry.MODELS
    rows = []
    for path in paths:
        image = Image.open(path).convert("RGB")
        for bpp in bpps:
            row: dict = {"image": path.name, "bpp_budget": bpp}
            for label, models in (("without", _without_pick_bands(shipped)), ("with", shipped)):
                registry.MODELS = models
                try:
                    row[label] = measure_budget(enc, dec, image, bpp, "jpeg", modes={label: scale})[label]
                finally:
                    registry.MODELS = shipped
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=2, choices=(2, 4))
    parser.add_argument("--bpp", default="0.45,0.5,0.55", help="Budgets in bits per HR pixel, comma-separated.")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the rows.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    bpps = [float(b) for b in args.bpp.split(",")]
    rows = measure(holdout_paths(), args.scale, bpps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    print("| budget (bpp) | without: bpp / RGB PSNR | with: bpp / RGB PSNR | gain | photos changed |")
    print("|---|---|---|---|---|")
    for bpp in bpps:
        sel = [r for r in rows if r["bpp_budget"] == bpp and r["with"] and r["without"]]
        mean = {k: np.mean([r[k]["psnr"] for r in sel]) for k in ("without", "with")}
        rate = {k: np.mean([r[k]["bpp"] for r in sel]) for k in ("without", "with")}
        changed = sum(
            r["with"]["quality"] != r["without"]["quality"] or r["with"]["model"] != r["without"]["model"] for r in sel
        )
        print(
            f"| {bpp} | {rate['without']:.3f} / {mean['without']:.3f} dB | {rate['with']:.3f} / "
            f"{mean['with']:.3f} dB | {mean['with'] - mean['without']:+.3f} dB | {changed} of {len(sel)} |"
        )


if __name__ == "__main__":
    main()
