"""Rate-distortion benchmark: irncodec against bicubic(+SR) downscaling and full-resolution codecs.

    python -m benchmarks.rd --scale 2 --scale 4 --out results/rd

Per image and operating point it measures the bytes a sender transmits (the
whole ``.irn`` file for irncodec), bpp = bytes * 8 / HR pixels, RGB PSNR over
the whole image, SSIM (RGB, Gaussian window) and encode/decode time. Writes a
per-image CSV, one CompressAI-style JSON per method, dataset and scale, RD
plots (PNG, matplotlib) and a table of Bjontegaard deltas of irncodec against
every baseline.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import click
import numpy as np
import torch

from benchmarks.bd import bd_psnr, bd_rate
from benchmarks.methods import BicubicLR, FullResolution, Irncodec, Method
from irncodec import registry
from irncodec.codec import Decoder, Encoder
from irncodec.metrics import psnr, ssim
from irncodec.train.data import list_images, load_rgb

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "test"
METRICS = ("bpp", "psnr-rgb", "ssim-rgb", "encoding_time", "decoding_time")


def build_methods(scale: int, lr_formats: list[str], enc: Encoder, dec: Decoder) -> tuple[list[Method], list[str]]:
    """The scale-dependent methods, and warnings for families that could not be built."""
    methods: list[Method] = [Irncodec(scale, f, enc, dec) for f in lr_formats]
    methods += [BicubicLR(scale, f) for f in lr_formats]
    warnings = []
    sr = registry.sr_baseline(scale)
    if sr is None:
        warnings.append(f"no SR baseline registered for x{scale}: the bicubic+SR family is missing")
    else:
        methods += [BicubicLR(scale, f, sr) for f in lr_formats]
    return methods, warnings


def _tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float() / 255.0


def _curve(rows: list[dict]) -> dict[str, list]:
    """Mean of each metric per quality, ordered by quality: the CompressAI results layout."""
    by_q: dict = defaultdict(list)
    for r in rows:
        by_q[r["quality"]].append(r)
    qualities = sorted(by_q, key=lambda q: -1 if q is None else q)
    out: dict[str, list] = {"quality": qualities}
    for m in METRICS:
        out[m] = [float(np.mean([r[m] for r in by_q[q]])) for q in qualities]
    return out


def _plot(path: Path, title: str, curves: dict[str, dict], descriptions: dict[str, str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    styles = {"irncodec": "-o", "bicubic": ":s", "bicubic+sr": "--^", "full-resolution": "-.x"}
    for name, c in sorted(curves.items()):
        ax.plot(
            c["bpp"],
            c["psnr-rgb"],
            styles.get(c["family"], "-"),
            label=name,
            markersize=4,
            linewidth=2.2 if c["family"] == "irncodec" else 1.2,
        )
    ax.set_xlabel("bits per HR pixel (bytes on disk)")
    ax.set_ylabel("PSNR RGB (dB)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.set_xlim(0, min(4.0, max(max(c["bpp"]) for c in curves.values()) * 1.05))
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding the test sets")
    parser.add_argument("--dataset", action="append", help="test set names (default BSD68 and Set14)")
    parser.add_argument("--scale", type=int, action="append", help="2 and/or 4 (default both)")
    parser.add_argument("--lr-format", action="append", help="LR formats (default png, jpeg, webp)")
    parser.add_argument("--full-format", action="append", help="full-resolution codecs (default jpeg, webp, avif)")
    parser.add_argument("--qualities", default="30,50,70,80,90,95", help="quality sweep of the lossy codecs")
    parser.add_argument("--limit", type=int, help="first N images of each set (a quick subset)")
    parser.add_argument("--out", type=Path, default=Path("results/rd"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    qualities = [int(q) for q in args.qualities.split(",")]
    scales = args.scale or [2, 4]
    datasets = args.dataset or ["BSD68", "Set14"]
    lr_formats = args.lr_format or ["png", "jpeg", "webp"]
    full = [FullResolution(f) for f in args.full_format or ["jpeg", "webp", "avif"]]
    enc, dec = Encoder(device="cpu"), Decoder(device="cpu")
    per_scale: dict[int, list[Method]] = {}
    warnings: list[str] = []
    for s in scales:
        per_scale[s], w = build_methods(s, lr_formats, enc, dec)
        warnings += w
    for w in warnings:
        click.echo(f"warning: {w}", err=True)

    images = {d: list_images(args.data / d)[: args.limit] for d in datasets}
    warm = load_rgb(next(iter(images.values()))[0])[:64, :64]
    for method in full + [m for ms in per_scale.values() for m in ms]:
        method.sweep(warm, qualities[:1])  # load models and caches before anything is timed
    rows: list[dict] = []
    total = sum(len(v) for v in images.values())
    with click.progressbar(length=total, label="rd benchmark", file=sys.stderr) as bar:
        for dataset, paths in images.items():
            for path in paths:
                rgb = load_rgb(path)
                x = _tensor(rgb)
                runs = [(None, m) for m in full] + [(s, m) for s in scales for m in per_scale[s]]
                for s, method in runs:
                    for p in method.sweep(rgb, qualities):
                        x_hat = _tensor(p.x_hat)
                        base = {
                            "dataset": dataset,
                            "image": path.name,
                            "method": method.name,
                            "family": method.family,
                            "quality": p.quality,
                            "bytes": p.nbytes,
                        }
                        for scale in [s] if s is not None else scales:
                            rows.append(
                                {
                                    **base,
                                    "scale": scale,
                                    "bpp": p.nbytes * 8 / (rgb.shape[0] * rgb.shape[1]),
                                    "psnr-rgb": psnr(x_hat, x),
                                    "ssim-rgb": ssim(x_hat, x),
                                    "encoding_time": p.encoding_time,
                                    "decoding_time": p.decoding_time,
                                }
                            )
                bar.update(1)

    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "per_image.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    descriptions = {m.name: m.description for ms in per_scale.values() for m in ms} | {
        m.name: m.description for m in full
    }
    bd_rows = []
    for dataset in datasets:
        for scale in scales:
            group = [r for r in rows if r["dataset"] == dataset and r["scale"] == scale]
            curves = {}
            folder = args.out / f"{dataset}-x{scale}"
            folder.mkdir(exist_ok=True)
            for name in sorted({r["method"] for r in group}):
                sel = [r for r in group if r["method"] == name]
                c = _curve(sel)
                curves[name] = {**c, "family": sel[0]["family"]}
                (folder / f"{name}.json").write_text(
                    json.dumps(
                        {
                            "name": name,
                            "description": f"{descriptions[name]}; {dataset}, {len(images[dataset])} images",
                            "results": c,
                        },
                        indent=1,
                    )
                )
            _plot(
                args.out / f"{dataset}-x{scale}.png",
                f"{dataset}, x{scale} (irncodec and downscaling at x{scale})",
                curves,
                descriptions,
            )
            for name, c in curves.items():
                if c["family"] != "irncodec" or len(c["bpp"]) < 4:
                    continue
                for ref, rc in curves.items():
                    if rc["family"] == "irncodec" or len(rc["bpp"]) < 4:
                        continue
                    if rc["family"] != "full-resolution" and ref.split("-")[1] != name.split("-")[1]:
                        continue  # downscaling baselines are compared with the same LR codec
                    bd_rows.append(
                        {
                            "dataset": dataset,
                            "scale": scale,
                            "method": name,
                            "baseline": ref,
                            "bd-rate": bd_rate(rc["bpp"], rc["psnr-rgb"], c["bpp"], c["psnr-rgb"]),
                            "bd-psnr": bd_psnr(rc["bpp"], rc["psnr-rgb"], c["bpp"], c["psnr-rgb"]),
                        }
                    )
    (args.out / "bd.json").write_text(json.dumps(bd_rows, indent=1))

    def fmt(v: float, unit: str) -> str:
        return "no overlap" if math.isnan(v) else f"{v:+.2f}{unit}"

    lines = ["| data | scale | irncodec | baseline | BD-rate | BD-PSNR |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {r['dataset']} | x{r['scale']} | {r['method']} | {r['baseline']} | {fmt(r['bd-rate'], ' %')} | "
        f"{fmt(r['bd-psnr'], ' dB')} |"
        for r in bd_rows
    ]
    lossless = ["", "| data | scale | method | bpp | PSNR-RGB | SSIM |", "|---|---|---|---|---|---|"]
    for dataset in datasets:
        for scale in scales:
            for name in sorted({r["method"] for r in rows if r["quality"] is None}):
                sel = [r for r in rows if r["dataset"] == dataset and r["scale"] == scale and r["method"] == name]
                if sel:
                    lossless.append(
                        f"| {dataset} | x{scale} | {name} | {np.mean([r['bpp'] for r in sel]):.3f} | "
                        f"{np.mean([r['psnr-rgb'] for r in sel]):.2f} | "
                        f"{np.mean([r['ssim-rgb'] for r in sel]):.4f} |"
                    )
    text = "\n".join(lines + lossless + [""] + [f"warning: {w}" for w in warnings]) + "\n"
    (args.out / "bd.md").write_text(text)
    click.echo(text)


if __name__ == "__main__":
    main()
