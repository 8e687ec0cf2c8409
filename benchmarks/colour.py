"""Colour detail: where IRN trained on natural photos loses to bicubic, and by how much.

    python -m benchmarks.colour --scale 2 irn-x2 irn-x2=runs/x2-colour/weights.pt --photos --out results/colour

Natural photos carry little fine detail in their chroma: their Cb and Cr are smooth, so bicubic down and up
keeps them at about 55 dB, and a net trained only on such photos learns to spend its LR on luma. Graphics are
different: coloured text, logos and saturated edges put sharp detail into the chroma, and there IRN can decode
worse than bicubic. This benchmark draws a fixed set of such images (no test set: synthetic, generated here,
with grey text as the control) and, with ``--photos``, adds the photos the training loop holds out.

Each model (a registered id, optionally ``=`` a state dict of the same architecture) downscales with its
forward pass, the LR is rounded to 8 bits (a PNG LR), and the inverse at z = 0 rebuilds the HR; bicubic down
and up is measured beside it. With more than one model, "pick" is the best of them per image (RGB PSNR): what
``irncodec encode --pick`` keeps when they are the default and its alternatives. Reported per image: RGB PSNR,
Y-PSNR (BT.601, ``scale`` border pixels cropped) and chroma PSNR (Cb and Cr of BT.601 full range, their mean
squared error). Prints a table and writes ``colour.json`` and ``colour.md`` with ``--out``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from benchmarks.holdout_rd import TRAIN, holdout_images, model_from_spec
from irncodec.metrics import psnr, y_psnr
from irncodec.rescale import bicubic_down, downscale, quantize, upscale
from irncodec.train.jpeg import RGB_TO_YCC
from irncodec.train.loop import modcrop

__all__ = ["chroma_psnr", "graphics", "measure"]


# (text colour, background colour) of the text images; the first pair is the grey control
_TEXT_COLOURS = (
    ((0, 0, 0), (255, 255, 255)),
    ((220, 0, 0), (255, 255, 255)),
    ((0, 0, 200), (255, 230, 0)),
    ((0, 160, 0), (255, 0, 255)),
    ((255, 255, 255), (0, 70, 200)),
)


def _text(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> np.ndarray:
    im = Image.new("RGB", (192, 96), bg)
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=22)
    draw.text((6, 10), "Sale 50% off", fill=fg, font=font)
    draw.text((6, 50), "irncodec text", fill=fg, font=font)
    return np.asarray(im)


def _sinusoid(channel: int, period: float) -> np.ndarray:
    xx = np.arange(128, dtype=np.float64)[None, :].repeat(128, 0)
    out = np.full((128, 128, 3), 128.0)
    out[..., channel] += 60.0 * np.sin(2 * np.pi * xx / period)
    return np.rint(out).astype(np.uint8)


def _bars() -> np.ndarray:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255), (255, 255, 255)]
    im = Image.new("RGB", (192, 96), (0, 0, 0))
    draw = ImageDraw.Draw(im)
    for i, c in enumerate(colours):  # stripes 7 px wide, a gap of 6 between them, then disks
        draw.rectangle((4 + 13 * i, 4, 10 + 13 * i, 44), fill=c)
        draw.ellipse((100 + 12 * (i % 4), 8 + 40 * (i // 4), 130 + 12 * (i % 4), 38 + 40 * (i // 4)), fill=c)
    return np.asarray(im)


def graphics() -> dict[str, np.ndarray]:
    """The synthetic set: text in five colour pairs, green and blue sinusoids, colour bars and disks."""
    names = ["text grey/white", "text red/white", "text blue/yellow", "text green/magenta", "text white/blue"]
    images = {n: _text(fg, bg) for n, (fg, bg) in zip(names, _TEXT_COLOURS, strict=True)}
    images["green sinusoid p16"] = _sinusoid(1, 16.0)
    images["blue sinusoid p11"] = _sinusoid(2, 11.2)
    images["bars and disks"] = _bars()
    return images


def chroma_psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR of the Cb and Cr planes (BT.601 full range) of two N x 3 x H x W RGB tensors in [0, 1]."""
    chroma = RGB_TO_YCC[1:].to(a)  # JPEG's Cb and Cr rows
    ca = torch.einsum("kc,nchw->nkhw", chroma, a)
    cb = torch.einsum("kc,nchw->nkhw", chroma, b)
    return psnr(ca, cb)


def _scores(x_hat: torch.Tensor, x: torch.Tensor, scale: int) -> dict[str, float]:
    x_hat = torch.round(x_hat.clamp(0.0, 1.0) * 255.0) / 255.0
    return {
        "rgb": round(psnr(x_hat, x), 3),
        "y": round(y_psnr(x_hat, x, scale), 3),
        "chroma": round(chroma_psnr(x_hat, x), 3),
    }


@torch.inference_mode()
def measure(models: dict[str, torch.nn.Module], images: dict[str, np.ndarray], scale: int) -> list[dict]:
    """One row per image: scores of each model (8-bit LR, z = 0) and of bicubic down and up."""
    rows = []
    for name, rgb in images.items():
        x = modcrop(torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float() / 255.0, scale)
        row: dict = {"image": name, "bicubic": _scores(_bicubic_up(quantize(bicubic_down(x, scale)), x), x, scale)}
        for label, net in models.items():
            y = quantize(downscale(net, x))
            z = torch.zeros(1, net.latent_channels, *y.shape[-2:])
            row[label] = _scores(upscale(net, y, z), x, scale)
        if len(models) > 1:  # what `irncodec encode --pick` keeps: the file that decodes closest (RGB)
            row["pick"] = max((row[label] for label in models), key=lambda r: r["rgb"])
        rows.append(row)
    return rows


def _bicubic_up(y: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.interpolate(y, size=like.shape[-2:], mode="bicubic", align_corners=False)


def _mean(rows: list[dict], label: str) -> dict[str, float]:
    """Mean of each score of ``label`` over ``rows``."""
    return {k: round(float(np.mean([r[label][k] for r in rows])), 3) for k in rows[0][label]}


def _table(rows: list[dict], labels: list[str]) -> str:
    head = "| image | " + " | ".join(f"{m} RGB / Y / chroma" for m in labels) + " |"
    lines = [head, "|---" * (len(labels) + 1) + "|"]
    for r in rows:
        cells = [f"{r[m]['rgb']:.2f} / {r[m]['y']:.2f} / {r[m]['chroma']:.2f}" for m in labels]
        lines.append(f"| {r['image']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="ID or ID=WEIGHTS")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--photos", action="store_true", help="also the training loop's held-out photos")
    parser.add_argument("--data", type=Path, default=TRAIN, help="the training folder (its held-out photos)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images = graphics()
    if args.photos:
        images |= {f"held-out photo {i + 1}": im for i, im in enumerate(holdout_images(args.data))}
    models = {spec: model_from_spec(spec) for spec in args.models}
    rows = measure(models, images, args.scale)
    labels = [*args.models, *(["pick"] if len(args.models) > 1 else []), "bicubic"]
    # the grey control has no chroma for bicubic to lose (its chroma PSNR is unbounded), so it stays out of the mean
    groups = {"coloured graphics": [r for r in rows if not r["image"].startswith(("held-out", "text grey"))]}
    if args.photos:
        groups["held-out photos"] = [r for r in rows if r["image"].startswith("held-out")]
    means = [{"image": f"mean, {g}"} | {m: _mean(rs, m) for m in labels} for g, rs in groups.items()]
    table = _table(rows + means, labels)
    print(table)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "colour.json").write_text(json.dumps({"scale": args.scale, "rows": rows, "means": means}, indent=1))
        (args.out / "colour.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
