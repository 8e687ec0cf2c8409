"""Quality of the shipped models through the real codec path.

Each test image is modcropped to a multiple of the scale (the SR papers'
protocol), encoded to ``.irn`` bytes, decoded, and compared with the input:
RGB PSNR on the whole image, Y-PSNR and SSIM on BT.601 luma with ``scale``
border pixels cropped, and bpp of the whole ``.irn`` file. Two references run
beside it: bicubic down + bicubic up, and the IRN inverse fed a bicubic LR
instead of its own (IRN reconstructs only its own LR).

    python -m benchmarks.evaluate --scale 2 --scale 4 --dataset Set5 --out results/eval
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from benchmarks.methods import to_tensor
from irncodec import registry
from irncodec.codec import Decoder, Encoder
from irncodec.metrics import psnr, rgb_to_y, ssim, y_psnr
from irncodec.registry import default_model, find_model, load_model
from irncodec.rescale import bicubic_down, quantize, sample_z, upscale
from irncodec.train.data import list_images, load_rgb

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "test"


def _scores(x_hat: torch.Tensor, x: torch.Tensor, scale: int) -> dict[str, float]:
    x_hat = torch.round(x_hat * 255.0) / 255.0
    return {
        "psnr-rgb": psnr(x_hat, x),
        "psnr-y": y_psnr(x_hat, x, border=scale),
        "ssim-y": ssim(rgb_to_y(x_hat), rgb_to_y(x), border=scale),
    }


def evaluate(
    scale: int,
    dataset: Path,
    lr_format: str,
    quality: int | None,
    seeds: list[int],
    temperature: float | None = None,
    model: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Scores of ``model`` (default: the default model for ``scale`` and ``lr_format``) on one test set, and of
    the references.

    ``temperature`` overrides the model's own z temperature (written into each file's header). ``progress``, if
    given, receives one line per image as it is scored (Urban100 at x2 takes over an hour on one core).
    """
    spec = find_model(model) if model else default_model(scale, lr_format)
    temperature = spec.temperature if temperature is None else temperature
    enc, dec = Encoder(device="cpu"), Decoder(device="cpu")
    net = load_model(spec)
    sr = registry.sr_baseline(scale)
    sr_net = load_model(sr) if sr is not None else None
    rows = []
    paths = list_images(dataset)
    for i, path in enumerate(paths, 1):
        t_image = time.perf_counter()
        rgb = load_rgb(path)
        rgb = rgb[: rgb.shape[0] - rgb.shape[0] % scale, : rgb.shape[1] - rgb.shape[1] % scale]
        x = to_tensor(rgb)
        row: dict = {"image": path.name}
        per_seed = []
        for seed in seeds:
            t0 = time.perf_counter()
            data = enc.encode(
                Image.fromarray(rgb),
                scale=scale,
                lr_format=lr_format,
                quality=quality,
                model=spec.ref,  # this version, not the id's default one
                z_seed=seed,
                z_temperature=temperature,
            )
            t1 = time.perf_counter()
            out = np.asarray(dec.decode(data).convert("RGB"))
            t2 = time.perf_counter()
            per_seed.append(
                {
                    **_scores(to_tensor(out), x, scale),
                    "bpp": len(data) * 8 / (x.shape[-1] * x.shape[-2]),
                    "encoding_time": t1 - t0,
                    "decoding_time": t2 - t1,
                }
            )
        row.update({k: float(np.mean([s[k] for s in per_seed])) for k in per_seed[0]})
        with torch.inference_mode():
            y_bic = quantize(bicubic_down(x, scale))
            up = F.interpolate(y_bic, scale_factor=scale, mode="bicubic").clamp(0, 1)
            row.update({f"bicubic/{k}": v for k, v in _scores(up, x, scale).items()})
            z = sample_z((1, net.latent_channels, *y_bic.shape[-2:]), seeds[0], temperature)
            row.update({f"irn-on-bicubic-lr/{k}": v for k, v in _scores(upscale(net, y_bic, z), x, scale).items()})
            if sr_net is not None:
                row.update({f"sr/{k}": v for k, v in _scores(sr_net(y_bic).clamp(0, 1), x, scale).items()})
        rows.append(row)
        if progress is not None:
            progress(
                f"{dataset.name} x{scale} [{i}/{len(paths)}] {path.name}: Y-PSNR {row['psnr-y']:.2f} dB, "
                f"{time.perf_counter() - t_image:.1f} s"
            )
    keys = [k for k in rows[0] if k != "image"]
    return {
        "model": spec.ref,
        "dataset": dataset.name,
        "scale": scale,
        "lr_format": lr_format,
        "quality": quality,
        "temperature": temperature,
        "sr_baseline": None if sr is None else sr.ref,
        "seeds": seeds,
        "mean": {k: float(np.mean([r[k] for r in rows])) for k in keys},
        "images": rows,
    }


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, action="append", help="2 and/or 4 (default both)")
    parser.add_argument("--dataset", action="append", help="names under --data (default Set5, Set14)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--lr-format", action="append", help="png, jpeg, webp (default png)")
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--seeds", type=int, default=1, help="z seeds to average over")
    parser.add_argument("--temperature", type=float, action="append", help="z temperatures (default: the model's)")
    parser.add_argument("--model", help="a registered model id (default: each scale's default for the LR format)")
    parser.add_argument("--out", type=Path, help="folder for results JSON and a markdown table")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    lines = [
        "| model | data | LR | T | bpp | PSNR-RGB | Y-PSNR | SSIM-Y | bicubic Y-PSNR | IRN on bicubic LR, Y-PSNR "
        "| SR baseline on bicubic LR, Y-PSNR |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scale in args.scale or ([find_model(args.model).scale] if args.model else [2, 4]):
        for name in args.dataset or ["Set5", "Set14"]:
            for fmt in args.lr_format or ["png"]:
                for temperature in args.temperature or [None]:
                    q = None if fmt == "png" else args.quality
                    r = evaluate(
                        scale, args.data / name, fmt, q, list(range(args.seeds)), temperature, args.model, _progress
                    )
                    m = r["mean"]
                    lr_name = fmt if q is None else f"{fmt} q{q}"
                    sr_y = f"{m['sr/psnr-y']:.2f}" if "sr/psnr-y" in m else "n/a"
                    line = (
                        f"| {r['model']} | {name} x{scale} | {lr_name} | {r['temperature']:g} | {m['bpp']:.3f} | "
                        f"{m['psnr-rgb']:.2f} | {m['psnr-y']:.2f} | {m['ssim-y']:.4f} | {m['bicubic/psnr-y']:.2f} | "
                        f"{m['irn-on-bicubic-lr/psnr-y']:.2f} | {sr_y} |"
                    )
                    print(line, flush=True)
                    lines.append(line)
                    results.append(r)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "evaluate.json").write_text(json.dumps(results, indent=1))
        (args.out / "evaluate.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
