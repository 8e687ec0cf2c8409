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
import multiprocessing
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import torch
from PIL import Image

from benchmarks.bd import bd_psnr, bd_rate
from benchmarks.methods import BicubicLR, ForwardCache, FullResolution, Irncodec, Method, to_tensor
from bitstream import LR_FORMATS
from irncodec import registry
from irncodec.cli import progress
from irncodec.codec import Decoder, Encoder
from irncodec.errors import UnknownModelError
from irncodec.imageio import JPEG_CHROMA
from irncodec.metrics import psnr, ssim
from irncodec.train.data import list_images, load_rgb

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "test"
METRICS = ("bpp", "psnr-rgb", "ssim-rgb", "encoding_time", "decoding_time")


@dataclass(frozen=True)
class Setup:
    """What one benchmark run compares; picklable, so each worker process builds its own methods."""

    scales: tuple[int, ...]
    lr_formats: tuple[str, ...]
    full_formats: tuple[str, ...]
    qualities: tuple[int, ...]  # LR codec sweep
    full_qualities: tuple[int, ...]  # full-resolution codec sweep
    stock: tuple[str, ...] = ("jpeg",)  # LR codecs through which the lossless-trained IRN is also sent
    # JPEG chroma samplings of the JPEG baselines (LR and full size); None: default_baseline_chroma per scale
    baseline_chroma: tuple[str, ...] | None = ("420",)


def build_methods(setup: Setup) -> tuple[list[tuple[int | None, Method]], list[str]]:
    """(scale, method) pairs (scale None: full resolution, scored at every scale), and warnings."""
    enc, dec = Encoder(device="cpu"), Decoder(device="cpu")
    pairs: list[tuple[int | None, Method]] = [
        (None, FullResolution(f, c)) for f in setup.full_formats for c in _chromas(setup, f, setup.scales)
    ]
    warnings = []
    cache = ForwardCache()
    for scale in setup.scales:
        methods: list[Method] = [Irncodec(scale, f, enc, dec, forward_cache=cache) for f in setup.lr_formats]
        lossless = registry.default_model(scale, "png")
        methods += [
            Irncodec(
                scale,
                f,
                enc,
                dec,
                model=lossless.id,
                name=f"stock-irn-{f}",
                family="stock-irn",
                forward_cache=cache,
                chroma_like_codec=True,
            )
            for f in setup.stock
            if f in setup.lr_formats and registry.default_model(scale, f).id != lossless.id
        ]
        methods += [BicubicLR(scale, f, chroma=c) for f in setup.lr_formats for c in _chromas(setup, f, (scale,))]
        sr = registry.sr_baseline(scale)
        if sr is None:
            warnings.append(f"no SR baseline registered for x{scale}: the bicubic+SR family is missing")
        else:
            methods += [BicubicLR(scale, f, sr, c) for f in setup.lr_formats for c in _chromas(setup, f, (scale,))]
        pairs += [(scale, m) for m in methods]
    return pairs, warnings


def _chromas(setup: Setup, fmt: str, scales: tuple[int, ...]) -> tuple[str, ...]:
    """The chroma samplings a baseline codec is run with at ``scales``: JPEG's from the setup (or by
    :func:`default_baseline_chroma`), one (its own) for other codecs."""
    if fmt != "jpeg":
        return ("420",)
    return setup.baseline_chroma if setup.baseline_chroma is not None else default_baseline_chroma(scales)


def default_baseline_chroma(scales: tuple[int, ...]) -> tuple[str, ...]:
    """4:2:0, plus 4:4:4 when the codec writes 4:4:4 JPEG LRs by default at one of ``scales``: irncodec is
    then measured against JPEG baselines given the same choice."""

    def bands(scale: int) -> list[tuple[registry.ModelSpec, int, int]]:
        try:
            return registry.quality_bands(scale, "jpeg")
        except UnknownModelError:  # no JPEG model at this scale: nothing written 4:4:4
            return []

    uses_444 = any(spec.lr_chroma == "444" for scale in scales for spec, _, _ in bands(scale))
    return ("420", "444") if uses_444 else ("420",)


_WORKER: dict[str, list[tuple[int | None, Method]]] = {}


def _init_worker(setup: Setup, threads: int, warm: np.ndarray) -> None:
    torch.set_num_threads(threads)
    _WORKER["methods"] = build_methods(setup)[0]
    for _, method in _WORKER["methods"]:
        method.sweep(warm, setup.qualities[:1])  # load models and caches before anything is timed


def measure_image(setup: Setup, dataset: str, path: Path, scale: int | None = None) -> list[dict]:
    """The methods of one scale (``None``: the full-resolution codecs, scored at every scale) at every operating
    point on one image: one row per (method, quality, scale)."""
    methods = [(s, m) for s, m in _WORKER["methods"] if s == scale]
    rgb = load_rgb(path)
    x = to_tensor(rgb)
    rows = []
    for s, method in methods:
        qualities = setup.full_qualities if s is None else setup.qualities
        for p in method.sweep(rgb, qualities):
            x_hat = to_tensor(p.x_hat)
            base = {
                "dataset": dataset,
                "image": path.name,
                "method": method.name,
                "family": method.family,
                "lr_format": method.lr_format or "",
                "quality": p.quality,
                "bytes": p.nbytes,
                "bpp": p.nbytes * 8 / (rgb.shape[0] * rgb.shape[1]),
                "psnr-rgb": psnr(x_hat, x),
                "ssim-rgb": ssim(x_hat, x),
                "encoding_time": p.encoding_time,
                "decoding_time": p.decoding_time,
            }
            rows += [{**base, "scale": sc} for sc in ([s] if s is not None else setup.scales)]
    return rows


def _measure_task(task: tuple[Setup, str, Path, int | None]) -> list[dict]:
    return measure_image(*task)


def _schedule(setup: Setup, images: dict[str, list[Path]]) -> list[tuple[Setup, str, Path, int | None]]:
    """One task per image and scale, plus one per image for the full-resolution codecs, the costliest first
    (network passes cost about the same per HR pixel at both scales), so no worker is left with a large
    image at the end while the other idles."""
    tasks = []
    for dataset, paths in images.items():
        for path in paths:
            with Image.open(path) as im:
                pixels = im.width * im.height
            tasks += [((pixels, 1.0), (setup, dataset, path, s)) for s in setup.scales]
            if setup.full_formats:
                tasks.append(((pixels, 0.1), (setup, dataset, path, None)))
    tasks.sort(key=lambda t: -t[0][0] * t[0][1])
    return [t for _, t in tasks]


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


_COLOURS = {"png": "0.35", "jpeg": "tab:blue", "webp": "tab:green", "avif": "tab:purple"}
_STYLES = {"irncodec": "-o", "stock-irn": "-v", "bicubic": ":s", "bicubic+sr": "--^", "full-resolution": "-.x"}


def _plot(path: Path, title: str, curves: dict[str, dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    for name, c in sorted(curves.items()):
        codec = c["lr_format"] or name.split("-")[0]
        ax.plot(
            c["bpp"],
            c["psnr-rgb"],
            _STYLES.get(c["family"], "-"),
            color=_COLOURS.get(codec),
            alpha=0.55 if c["family"] == "stock-irn" or "444" in name.split("-") else 1.0,
            label=name,
            markersize=4,
            linewidth=2.4 if c["family"] == "irncodec" else 1.2,
        )
    ax.set_xlabel("bits per HR pixel (bytes on disk)")
    ax.set_ylabel("PSNR RGB (dB)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.set_xlim(0, min(2.5, max(max(c["bpp"]) for c in curves.values()) * 1.05))
    right = ax.get_xlim()[1]
    shown = [d for c in curves.values() for r, d in zip(c["bpp"], c["psnr-rgb"], strict=True) if r <= right]
    if shown:
        ax.set_ylim(min(shown) - 0.5, max(shown) + 0.5)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _comparable(method: dict, baseline: dict) -> bool:
    """irncodec is compared with full-resolution codecs, and with other downscalers through its own LR codec."""
    if baseline["family"] == "irncodec":
        return False
    return baseline["family"] == "full-resolution" or baseline["lr_format"] == method["lr_format"]


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(q) for q in text.split(","))


def _names(
    parser: argparse.ArgumentParser, flag: str, given: list[str] | None, known: tuple[str, ...]
) -> tuple[str, ...]:
    """The values of a repeatable flag that also takes comma lists; all of ``known`` when not given."""
    if not given:
        return known
    names = tuple(n.strip() for g in given for n in g.split(",") if n.strip())
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"{flag}: unknown {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding the test sets")
    parser.add_argument("--dataset", action="append", help="test set names (default BSD68 and Set14)")
    parser.add_argument("--scale", type=int, action="append", help="2 and/or 4 (default both)")
    parser.add_argument(
        "--lr-format", action="append", help="LR formats, repeated or comma-separated (default png, jpeg, webp)"
    )
    parser.add_argument(
        "--full-format",
        action="append",
        help="full-resolution codecs, repeated or comma-separated (default jpeg, webp, avif)",
    )
    parser.add_argument("--qualities", default="30,50,75,90", help="quality sweep of the LR codecs")
    parser.add_argument(
        "--full-qualities", default="5,10,20,30,50,70,85,95", help="quality sweep of the full-resolution codecs"
    )
    parser.add_argument(
        "--stock",
        default="",
        help="LR codecs to send the lossless-trained IRN through too, e.g. 'jpeg' (issue 5's baseline; off by "
        "default to keep the default run under 30 minutes on 2 cores)",
    )
    parser.add_argument(
        "--baseline-chroma",
        help="JPEG chroma samplings of the JPEG baselines, e.g. '420,444' (default: 4:2:0, plus 4:4:4 at the "
        "scales where irncodec writes 4:4:4 JPEG LRs)",
    )
    parser.add_argument("--limit", type=int, help="first N images of each set (a quick subset)")
    parser.add_argument("--out", type=Path, default=Path("results/rd"))
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, one image at a time each")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    args = parser.parse_args()
    scales = tuple(args.scale or [2, 4])
    baseline_chroma = (
        _names(parser, "--baseline-chroma", [args.baseline_chroma], JPEG_CHROMA) if args.baseline_chroma else None
    )
    setup = Setup(
        scales=scales,
        lr_formats=_names(parser, "--lr-format", args.lr_format, LR_FORMATS),
        full_formats=_names(parser, "--full-format", args.full_format, ("jpeg", "webp", "avif")),
        qualities=_ints(args.qualities),
        full_qualities=_ints(args.full_qualities),
        stock=tuple(f for f in args.stock.split(",") if f),
        baseline_chroma=baseline_chroma,
    )
    datasets = args.dataset or ["BSD68", "Set14"]
    methods, warnings = build_methods(setup)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    descriptions = {(s, m.name): m.description for s, m in methods}

    images = {d: list_images(args.data / d)[: args.limit] for d in datasets}
    tasks = _schedule(setup, images)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    t_start = time.perf_counter()
    with (
        open(args.out / "per_image.csv", "w", newline="") as fh,
        progress(len(tasks), "rd benchmark") as update,
    ):
        writer: csv.DictWriter | None = None

        def collect(new: list[dict]) -> None:
            nonlocal writer
            update(1)
            if not new:
                return
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(new[0]))
                writer.writeheader()
            writer.writerows(new)
            fh.flush()  # a killed run keeps every finished image
            rows.extend(new)

        warm = load_rgb(tasks[-1][2])[:64, :64] if tasks else np.zeros((64, 64, 3), np.uint8)
        if args.jobs <= 1:
            _init_worker(setup, args.threads, warm)
            for task in tasks:
                collect(_measure_task(task))
        else:
            # forkserver: workers must not inherit the parent's torch thread pool (not fork-safe).
            context = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(
                args.jobs, mp_context=context, initializer=_init_worker, initargs=(setup, args.threads, warm)
            ) as pool:
                for new in pool.map(_measure_task, tasks):
                    collect(new)
    elapsed = time.perf_counter() - t_start

    bd_rows = []
    # The mean of every measured point, so a run of one quality (too few for a BD figure) still reports its numbers.
    points = ["", "| data | scale | method | quality | bpp | PSNR-RGB | SSIM |", "|---|---|---|---|---|---|---|"]
    for dataset in datasets:
        for scale in setup.scales:
            group = [r for r in rows if r["dataset"] == dataset and r["scale"] == scale]
            curves = {}
            folder = args.out / f"{dataset}-x{scale}"
            folder.mkdir(exist_ok=True)
            for name in sorted({r["method"] for r in group}):
                sel = [r for r in group if r["method"] == name]
                c = _curve(sel)
                curves[name] = {**c, "family": sel[0]["family"], "lr_format": sel[0]["lr_format"]}
                points += [
                    f"| {dataset} | x{scale} | {name} | {'lossless' if q is None else q} | {c['bpp'][i]:.3f} | "
                    f"{c['psnr-rgb'][i]:.2f} | {c['ssim-rgb'][i]:.4f} |"
                    for i, q in enumerate(c["quality"])
                ]
                (folder / f"{name}.json").write_text(
                    json.dumps(
                        {
                            "name": name,
                            "description": f"{descriptions.get((scale, name), descriptions.get((None, name)))}; "
                            f"{dataset}, {len(images[dataset])} images",
                            "results": c,
                        },
                        indent=1,
                    )
                )
            _plot(
                args.out / f"{dataset}-x{scale}.png",
                f"{dataset}, x{scale} (irncodec and downscaling at x{scale})",
                curves,
            )
            for name, c in curves.items():
                if c["family"] != "irncodec" or len(c["bpp"]) < 4:
                    continue
                for ref, rc in curves.items():
                    if len(rc["bpp"]) < 4 or not _comparable(c, rc):
                        continue
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
    footer = [
        "",
        f"{sum(len(p) for p in images.values())} images, scales {', '.join(f'x{s}' for s in setup.scales)}, "
        f"{elapsed / 60:.1f} min "
        f"with {args.jobs} job(s) x {args.threads} thread(s)",
    ]
    text = "\n".join(lines + points + footer + [f"warning: {w}" for w in warnings]) + "\n"
    (args.out / "bd.md").write_text(text)
    click.echo(text)


if __name__ == "__main__":
    main()
