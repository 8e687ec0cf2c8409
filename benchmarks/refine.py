"""Encoder-side LR refinement (``irncodec encode --refine N``): what N gradient steps on the LR buy, per byte and
per second.

    python -m benchmarks.refine --scale 2 --lr-format png --steps 10,20 --out results/refine-x2-png
    python -m benchmarks.refine --scale 2 --lr-format jpeg --quality 75 --curve 70,80 --out results/refine-q75
    python -m benchmarks.refine --dataset Set5 --dataset Set14 --scale 2 --steps 20 --out results/refine-test

Each image is encoded with :meth:`irncodec.Encoder.encode` at ``refine=0`` and at each ``refine=N``, decoded
with :class:`irncodec.Decoder`, and compared with the input: file bpp, RGB PSNR, encoding seconds, and how far
the refined LR moved from the forward pass's (PSNR between the two decoded LRs) and how close each LR stays to
the bicubic downscaling IRN's LR is guided towards (a measure of the LR as a preview); with ``--curve`` also the
gain at equal rate against the unrefined RD curve. Without ``--dataset`` it measures the
photos the training loop holds out (never a test set), where decisions are made. Writes ``refine.json`` (one
row per image and setting) and ``refine.md`` (the means).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.holdout_rd import holdout_paths
from benchmarks.methods import to_tensor
from benchmarks.rd import DATA
from irncodec.cli import progress
from irncodec.codec import Decoder, Encoder
from irncodec.metrics import psnr, y_psnr
from irncodec.rescale import bicubic_down, pad_to_multiple
from irncodec.train.data import list_images

__all__ = ["measure", "summarize"]


def _rgb(image: Image.Image) -> torch.Tensor:
    return to_tensor(image.convert("RGB"))[0]


def measure(
    encoder: Encoder,
    decoder: Decoder,
    image: Image.Image,
    steps: list[int],
    scale: int,
    lr_format: str,
    quality: int | None,
    curve: list[int] | None = None,
) -> list[dict]:
    """One image: a row per refinement setting (0 first) with bpp, RGB PSNR, Y-PSNR (BT.601, ``scale`` pixels of
    border cropped, the paper's protocol), encoding seconds and the LR's drift. With ``curve`` (more LR qualities,
    lossy LRs) the unrefined files at those qualities give an RD curve, and each refined row also gets its gain at
    equal rate: its PSNR minus the curve's at its bpp (linear in log bpp between the nearest two points, the end
    segment extended beyond them; ``equal_rate_extrapolated`` says so)."""
    source = _rgb(image)
    guide = bicubic_down(pad_to_multiple(source[None], scale), scale)[0].clamp(0, 1)  # the LR IRN is guided towards
    points = []
    for q in curve or []:
        data = encoder.encode(image, scale=scale, lr_format=lr_format, quality=q)
        points.append(
            (math.log(8 * len(data) / (image.width * image.height)), psnr(_rgb(decoder.decode(data)), source))
        )
    rows, base_lr = [], None
    for n in [0, *steps]:
        start = time.perf_counter()
        data = encoder.encode(image, scale=scale, lr_format=lr_format, quality=quality, refine=n)
        seconds = time.perf_counter() - start
        lr, decoded = _rgb(decoder.decode_lr(data)), _rgb(decoder.decode(data))
        base_lr = lr if base_lr is None else base_lr
        rows.append(
            {
                "refine": n,
                "bpp": 8 * len(data) / (image.width * image.height),
                "psnr": psnr(decoded, source),
                "psnr_y": y_psnr(decoded[None], source[None], scale),
                "seconds": seconds,
                "lr_drift_psnr": psnr(lr, base_lr) if n else None,
                "lr_psnr_bicubic": psnr(lr, guide),
            }
        )
    if points:
        points = sorted([*points, (math.log(rows[0]["bpp"]), rows[0]["psnr"])])
        for row in rows[1:]:
            rate = math.log(row["bpp"])
            i = min(max(int(np.searchsorted([p[0] for p in points], rate)), 1), len(points) - 1)
            (r0, p0), (r1, p1) = points[i - 1], points[i]
            row["gain_equal_rate"] = row["psnr"] - (p0 + (p1 - p0) * (rate - r0) / (r1 - r0))
            row["equal_rate_extrapolated"] = not points[0][0] <= rate <= points[-1][0]
    return rows


def summarize(rows: list[dict]) -> list[dict]:
    """Means per refinement setting, with the gain over ``refine=0`` and the share of bytes it costs."""
    table = []
    for n in sorted({r["refine"] for r in rows}):
        group = [r for r in rows if r["refine"] == n]
        base = [r for r in rows if r["refine"] == 0]
        mean = {k: float(np.mean([r[k] for r in group])) for k in ("bpp", "psnr", "psnr_y", "seconds")}
        guide = [r["lr_psnr_bicubic"] for r in group if "lr_psnr_bicubic" in r]  # rows of older runs lack it
        # an unrefined file kept (the refinement did not help) has an infinite drift: left out of the mean
        drift = [
            r["lr_drift_psnr"] for r in group if r["lr_drift_psnr"] is not None and math.isfinite(r["lr_drift_psnr"])
        ]
        equal = [r["gain_equal_rate"] for r in group if "gain_equal_rate" in r]
        table.append(
            {
                "refine": n,
                **mean,
                "gain_db": mean["psnr"] - float(np.mean([r["psnr"] for r in base])),
                "bytes_change": mean["bpp"] / float(np.mean([r["bpp"] for r in base])) - 1.0,
                "improved": sum(r["psnr"] > b["psnr"] for r, b in zip(group, base, strict=True)),
                "lr_drift_psnr": float(np.mean(drift)) if drift else None,
                "gain_equal_rate": float(np.mean(equal)) if equal else None,
                "lr_psnr_bicubic": float(np.mean(guide)) if guide else None,
                "extrapolated": sum(bool(r.get("equal_rate_extrapolated")) for r in group),
                "images": len(group),
            }
        )
    return table


def _markdown(table: list[dict], title: str) -> str:
    lines = [
        f"# {title}",
        "",
        "| steps | bpp | RGB PSNR | gain | equal rate | Y-PSNR | bytes | better | LR drift | LR vs bicubic | enc s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in table:
        drift = f"{t['lr_drift_psnr']:.2f} dB" if t["lr_drift_psnr"] is not None else ""
        guide = f"{t['lr_psnr_bicubic']:.2f} dB" if t["lr_psnr_bicubic"] is not None else ""
        equal = ""
        if t["gain_equal_rate"] is not None:
            equal = f"{t['gain_equal_rate']:+.3f} dB" + (
                f" ({t['extrapolated']} extrapolated)" if t["extrapolated"] else ""
            )
        lines.append(
            f"| {t['refine']} | {t['bpp']:.4f} | {t['psnr']:.3f} | {t['gain_db']:+.3f} dB | {equal} "
            f"| {t['psnr_y']:.3f} | {t['bytes_change']:+.1%} "
            f"| {t['improved']}/{t['images']} | {drift} | {guide} | {t['seconds']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", action="append", help="Test set(s) under the data folder (default: held-out)")
    parser.add_argument("--scale", type=int, default=2, choices=(2, 4))
    parser.add_argument("--lr-format", default="png", choices=("png", "jpeg", "webp"))
    parser.add_argument("--quality", type=int, help="LR quality for JPEG / WebP")
    parser.add_argument("--steps", default="20", help="Comma-separated refinement step counts")
    parser.add_argument("--curve", help="Comma-separated more LR qualities (unrefined) for the gain at equal rate")
    parser.add_argument("--limit", type=int, help="Only the first N images")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    paths = [p for name in args.dataset for p in list_images(DATA / name)] if args.dataset else holdout_paths()
    paths = paths[: args.limit] if args.limit else paths
    steps = [int(s) for s in args.steps.split(",")]
    curve = [int(q) for q in args.curve.split(",")] if args.curve else None
    encoder, decoder = Encoder(device="cpu"), Decoder(device="cpu")
    rows = []
    with progress(len(paths), "images", every=30.0) as update:
        for path in paths:
            image = Image.open(io.BytesIO(path.read_bytes()))
            for row in measure(encoder, decoder, image, steps, args.scale, args.lr_format, args.quality, curve):
                rows.append({"image": path.name, "scale": args.scale, "lr_format": args.lr_format, **row})
            update(1)
    args.out.mkdir(parents=True, exist_ok=True)
    table = summarize(rows)
    (args.out / "refine.json").write_text(
        json.dumps({"args": vars(args) | {"out": str(args.out)}, "rows": rows, "summary": table}, indent=1)
    )
    what = f"x{args.scale} {args.lr_format}" + (f" q{args.quality}" if args.quality is not None else "")
    sets = ", ".join(args.dataset) if args.dataset else "held-out training photos"
    markdown = _markdown(table, f"Encoder-side LR refinement, {what}, {sets}")
    (args.out / "refine.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
