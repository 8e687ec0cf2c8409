"""Byte-budget encoding: the quality irncodec delivers within a budget at x2, at x4 and choosing the scale.

    python -m benchmarks.budget --bpp 0.15,0.2,0.3,0.45,0.6 --out results/budget            # held-out photos
    python -m benchmarks.budget --dataset BSD68 --dataset Set14 --bpp 0.2,0.3,0.45 --out results/budget-test

For each image and budget (bits per HR pixel, turned into a byte budget as the CLI's ``--bpp`` does) it runs
:meth:`irncodec.Encoder.encode_to_budget` once per mode (``scale=2``, ``scale=4``, ``scale=None``: every
scale) and decodes the file with :class:`irncodec.Decoder`. Per mode it reports the mean file bpp, the mean
RGB PSNR over the images every mode could meet the budget for, how many budgets could not be met, which scale
``auto`` took, and the encoding time. Without ``--dataset`` it measures the photos the training loop holds out
(never a test set), which is where decisions are made; test sets are for reporting.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.holdout_rd import holdout_paths
from benchmarks.rd import DATA
from irncodec.cli import progress
from irncodec.codec import Decoder, Encoder
from irncodec.errors import BudgetError
from irncodec.metrics import psnr
from irncodec.train.data import list_images

__all__ = ["MODES", "measure", "summarize"]

MODES: dict[str, int | None] = {"x2": 2, "x4": 4, "auto": None}


def measure(
    encoder: Encoder,
    decoder: Decoder,
    image: Image.Image,
    bpp: float,
    lr_format: str,
    modes: dict[str, int | None] = MODES,
) -> dict[str, dict | None]:
    """One image at one budget: per mode (label -> scale, ``None`` for every scale) the file's bpp, scale, model,
    quality, RGB PSNR and encoding seconds (``None`` where no file fits)."""
    max_bytes = int(bpp * image.width * image.height / 8)
    source = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1).float() / 255.0
    out: dict[str, dict | None] = {}
    for mode, scale in modes.items():
        start = time.perf_counter()
        try:
            data, quality = encoder.encode_to_budget(image, max_bytes, scale=scale, lr_format=lr_format)
        except BudgetError:
            out[mode] = None
            continue
        seconds = time.perf_counter() - start
        header = decoder.parse(data).header
        decoded = torch.from_numpy(np.array(decoder.decode(data).convert("RGB"))).permute(2, 0, 1).float() / 255.0
        out[mode] = {
            "bpp": 8 * len(data) / (image.width * image.height),
            "scale": header.scale,
            "model": header.model,
            "quality": quality,
            "psnr": psnr(decoded, source),
            "seconds": seconds,
        }
    return out


def summarize(rows: list[dict]) -> list[dict]:
    """Per budget and mode: mean bpp and PSNR over the images all modes met, misses, x4 share, seconds."""
    by_target: dict[float, list[dict]] = defaultdict(list)
    for row in rows:
        by_target[row["target_bpp"]].append(row)
    table = []
    for target, group in sorted(by_target.items()):
        complete = [r for r in group if all(r[m] is not None for m in MODES)]
        for mode in MODES:
            met = [r[mode] for r in group if r[mode] is not None]
            table.append(
                {
                    "target_bpp": target,
                    "mode": mode,
                    "images": len(complete),
                    "missed": len(group) - len(met),
                    "bpp": float(np.mean([r[mode]["bpp"] for r in complete])) if complete else None,
                    "psnr": float(np.mean([r[mode]["psnr"] for r in complete])) if complete else None,
                    "x4_share": float(np.mean([m["scale"] == 4 for m in met])) if met else None,
                    "seconds": float(np.mean([m["seconds"] for m in met])) if met else None,
                }
            )
    return table


def _markdown(table: list[dict]) -> str:
    def num(v: float | None, digits: int) -> str:
        return "" if v is None else f"{v:.{digits}f}"

    lines = [
        "| budget (bpp) | mode | images | missed | bpp | RGB PSNR | x4 share | encode s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in table:
        lines.append(
            f"| {t['target_bpp']} | {t['mode']} | {t['images']} | {t['missed']} | {num(t['bpp'], 3)} | "
            f"{num(t['psnr'], 2)} | {num(t['x4_share'], 2)} | {num(t['seconds'], 1)} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bpp", default="0.15,0.2,0.3,0.45,0.6", help="Budgets in bits per HR pixel, comma-separated.")
    ap.add_argument("--dataset", action="append", help="Test set under ../shared/data/test (default: held-out).")
    ap.add_argument("--lr-format", default="jpeg", choices=["jpeg", "webp"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, help="Folder for budget.csv, summary.json and summary.md.")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    targets = [float(b) for b in args.bpp.split(",")]
    if args.dataset:
        images = [(name, p) for name in args.dataset for p in list_images(DATA / name)]
    else:
        images = [("held-out", p) for p in holdout_paths()]
    encoder, decoder = Encoder(device="cpu"), Decoder(device="cpu")
    rows = []
    with progress(len(images), "budget benchmark") as update:
        for name, path in images:
            image = Image.open(path).convert("RGB")
            for target in targets:
                result = measure(encoder, decoder, image, target, args.lr_format)
                rows.append({"dataset": name, "image": path.name, "target_bpp": target, **result})
            update(1)
    table = summarize(rows)
    print(_markdown(table))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        with open(args.out / "budget.csv", "w", newline="") as fh:
            fields = ["dataset", "image", "target_bpp", "mode", "bpp", "scale", "model", "quality", "psnr", "seconds"]
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            for row in rows:
                for mode in MODES:
                    base = {"dataset": row["dataset"], "image": row["image"], "target_bpp": row["target_bpp"]}
                    writer.writerow({**base, "mode": mode, **(row[mode] or {})})
        (args.out / "summary.json").write_text(json.dumps(table, indent=1))
        (args.out / "summary.md").write_text(_markdown(table) + "\n")


if __name__ == "__main__":
    main()
